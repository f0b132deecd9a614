package dev.blip2serve.reliability.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.blip2serve.checkpoint.CheckpointException;
import dev.blip2serve.checkpoint.SafetensorsFile;
import dev.blip2serve.checkpoint.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes {@link SafetensorsFile#open}: the 8-byte length, the JSON header (dtypes, shapes, offsets, overlaps,
 * metadata) and reading every tensor it accepts. The only exception allowed is {@link CheckpointException}.
 */
class SafetensorsHeaderFuzzTest {

    private static final Path FILE;

    static {
        try {
            Path dir = Files.createTempDirectory("fuzz-safetensors-");
            dir.toFile().deleteOnExit();
            FILE = dir.resolve("model.safetensors");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] sample() {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"b.bias\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[24,32]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[32,40]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 40).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (int i = 0; i < 10; i++) {
            b.putFloat(i * 0.5f);
        }
        return b.array();
    }

    private static final byte[] SAMPLE = sample();

    @FuzzTest(maxDuration = "20s")
    void open(FuzzedDataProvider data) throws IOException {
        Files.write(FILE, Inputs.rawOrMutated(data, SAMPLE));
        check(FILE);
    }

    /** Opens and reads everything; anything but a {@link CheckpointException} escapes and is a finding. */
    static void check(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo t : f.tensors().values()) {
                f.bytes(t);
                if (t.dtype().isFloatingPoint()) {
                    f.readFloats(t);
                }
            }
            f.metadata();
        } catch (CheckpointException expected) {
            // the documented failure
        }
    }
}
