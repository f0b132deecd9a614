package dev.blip2serve.onnx;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The contents of an initializer, produced on demand: the model writer asks for the bytes only while
 * it writes them, so a multi-gigabyte model streams through the heap one tensor at a time.
 */
public interface TensorData {

    ElementType type();

    /** Dimensions. */
    long[] shape();

    /** Exact number of bytes {@link #writeTo} writes (little-endian, ONNX raw_data layout). */
    default long byteSize() {
        long n = type().bytes();
        for (long d : shape()) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Writes the raw little-endian data. */
    void writeTo(OutputStream out) throws IOException;
}
