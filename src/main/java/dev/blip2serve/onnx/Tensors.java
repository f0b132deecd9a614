package dev.blip2serve.onnx;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Supplier;

/** Factories for {@link TensorData}: float32 / float16 from float arrays, int64 constants, raw bytes. */
public final class Tensors {

    private static final int CHUNK = 1 << 16;

    private Tensors() {
    }

    /** Float data stored as {@code type} (FLOAT or FLOAT16), loaded lazily from {@code data}. */
    public static TensorData floats(ElementType type, long[] shape, Supplier<float[]> data) {
        if (type != ElementType.FLOAT && type != ElementType.FLOAT16) {
            throw new IllegalArgumentException("float data cannot be stored as " + type);
        }
        return new Lazy(type, shape) {
            @Override
            public void writeTo(OutputStream out) throws IOException {
                float[] v = data.get();
                if (v.length != elementCount(dims)) {
                    throw new IllegalStateException("tensor data has " + v.length + " elements, shape needs " + elementCount(dims));
                }
                writeFloats(out, v, type);
            }
        };
    }

    /** float32 data already in memory. */
    public static TensorData floats(long[] shape, float... data) {
        return floats(ElementType.FLOAT, shape, () -> data);
    }

    /** A float32 scalar. */
    public static TensorData scalar(float v) {
        return floats(new long[0], v);
    }

    /** int64 data. */
    public static TensorData int64(long[] shape, long... data) {
        long[] vals = data.clone();
        if (vals.length != elementCount(shape)) {
            throw new IllegalArgumentException("int64 data has " + vals.length + " elements, shape needs " + elementCount(shape));
        }
        return new Lazy(ElementType.INT64, shape) {
            @Override
            public void writeTo(OutputStream out) throws IOException {
                ByteBuffer b = ByteBuffer.allocate(vals.length * 8).order(ByteOrder.LITTLE_ENDIAN);
                for (long v : vals) {
                    b.putLong(v);
                }
                out.write(b.array());
            }
        };
    }

    /** A 1-D int64 vector. */
    public static TensorData int64s(long... data) {
        return int64(new long[] {data.length}, data);
    }

    /** Bytes already in ONNX raw layout (e.g. packed 4-bit weights), produced lazily. */
    public static TensorData raw(ElementType type, long[] shape, Supplier<byte[]> data) {
        return new Lazy(type, shape) {
            @Override
            public void writeTo(OutputStream out) throws IOException {
                byte[] v = data.get();
                if (v.length != byteSize()) {
                    throw new IllegalStateException("raw tensor has " + v.length + " bytes, shape needs " + byteSize());
                }
                out.write(v);
            }
        };
    }

    /** Type and dimensions; subclasses say how the bytes are produced. */
    private abstract static class Lazy implements TensorData {
        final ElementType type;
        final long[] dims;

        Lazy(ElementType type, long[] shape) {
            this.type = type;
            this.dims = shape.clone();
        }

        @Override
        public ElementType type() {
            return type;
        }

        @Override
        public long[] shape() {
            return dims.clone();
        }
    }

    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static void writeFloats(OutputStream out, float[] v, ElementType type) throws IOException {
        int width = type.bytes();
        ByteBuffer b = ByteBuffer.allocate(CHUNK * width).order(ByteOrder.LITTLE_ENDIAN);
        for (int start = 0; start < v.length; start += CHUNK) {
            int end = Math.min(v.length, start + CHUNK);
            b.clear();
            if (type == ElementType.FLOAT) {
                for (int i = start; i < end; i++) {
                    b.putFloat(v[i]);
                }
            } else {
                for (int i = start; i < end; i++) {
                    b.putShort(Float.floatToFloat16(v[i]));
                }
            }
            out.write(b.array(), 0, b.position());
        }
    }
}
