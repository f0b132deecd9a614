package dev.blip2serve.checkpoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

/** Widens stored tensor bytes (F32, F16, BF16, F64; little-endian) to float32. */
final class TensorReader {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TensorReader() {
    }

    static float[] toFloats(Path file, TensorInfo t, MemorySegment bytes) {
        if (!t.dtype().isFloatingPoint()) {
            throw new CheckpointException(file, "tensor '" + t.name() + "' is " + t.dtype() + ", not a float type");
        }
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(file, "tensor '" + t.name() + "' has " + n + " elements, too many for one array");
        }
        float[] out = new float[(int) n];
        switch (t.dtype()) {
            case F32 -> MemorySegment.copy(bytes, F32, 0, out, 0, out.length);
            case F16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.float16ToFloat(bytes.getAtIndex(I16, i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.intBitsToFloat((bytes.getAtIndex(I16, i) & 0xffff) << 16);
                }
            }
            case F64 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) bytes.getAtIndex(F64, i);
                }
            }
            default -> throw new CheckpointException(file, "tensor '" + t.name() + "' is " + t.dtype() + ", not a float type");
        }
        return out;
    }
}
