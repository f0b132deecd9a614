package dev.blip2serve.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/** A tiny safetensors writer for tests (8-byte LE header length, JSON header, data), and error checks. */
final class StFiles {

    private StFiles() {
    }

    /** Writes {@code header} (UTF-8) with its true length, then {@code data}. */
    static Path write(Path file, String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return writeRaw(file, h.length, concat(h, data));
    }

    /** Writes a declared header length (which may lie) followed by {@code rest}. */
    static Path writeRaw(Path file, long declaredHeaderLength, byte[] rest) {
        ByteBuffer b = ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredHeaderLength).put(rest);
        return bytes(file, b.array());
    }

    static Path bytes(Path file, byte[] content) {
        try {
            Files.write(file, content);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One header entry, {@code "name":{"dtype":..,"shape":..,"data_offsets":[b,e]}}. */
    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape
                + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    static String header(String... entries) {
        return "{" + String.join(",", entries) + "}";
    }

    static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    /** Raw 16-bit patterns (F16 or BF16), little-endian. */
    static byte[] u16(int... v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int s : v) {
            b.putShort((short) s);
        }
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    /** Heap bytes this thread has allocated so far (HotSpot), or -1 where the JVM cannot say. */
    static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled()) {
            return t.getCurrentThreadAllocatedBytes();
        }
        return -1;
    }

    /** Allocation a rejected file may cost: parsing a small header, the exception. Far below any declared size. */
    static final long ALLOCATION_BUDGET = 16L << 20;

    /**
     * Runs {@code action}, expects a {@link CheckpointException} whose message is one line naming
     * {@code file} and containing {@code phrase}, and checks that the attempt stayed within
     * {@link #ALLOCATION_BUDGET} of heap.
     */
    static CheckpointException rejects(Path file, String phrase, Supplier<?> action) {
        long before = allocatedBytes();
        CheckpointException error = null;
        try {
            Object result = action.get();
            if (result instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // the test fails below anyway
                }
            }
        } catch (CheckpointException e) {
            error = e;
        } catch (Throwable t) {
            fail("expected a CheckpointException containing '" + phrase + "' but got " + t, t);
        }
        long after = allocatedBytes();
        if (error == null) {
            fail("expected a CheckpointException containing '" + phrase + "' for " + file + ", but it was accepted");
        }
        assertOneLineNaming(error, file, phrase);
        if (before >= 0 && after >= 0) {
            assertThat(after - before).as("heap allocated while rejecting " + file).isLessThan(ALLOCATION_BUDGET);
        }
        return error;
    }

    static void assertOneLineNaming(CheckpointException error, Path file, String phrase) {
        assertThat(error.getMessage())
                .contains(file.getFileName().toString())
                .contains(phrase)
                .doesNotContain("\n")
                .doesNotContain("\r");
        assertThat(error.file()).isEqualTo(file);
    }
}
