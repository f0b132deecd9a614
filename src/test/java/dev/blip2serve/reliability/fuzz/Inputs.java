package dev.blip2serve.reliability.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Structure-aware inputs for the fuzz targets without a seed directory: half the time the fuzzer's bytes are used
 * as they are, half the time a valid sample (built in code or read from the test resources) is edited at
 * fuzzer-chosen positions (overwrites, a cut, an inserted run), which reaches deep into the parsers at once.
 */
final class Inputs {

    private Inputs() {
    }

    static byte[] rawOrMutated(FuzzedDataProvider data, byte[]... seeds) {
        if (seeds.length == 0 || data.consumeBoolean()) {
            return data.consumeRemainingAsBytes();
        }
        byte[] b = seeds[data.consumeInt(0, seeds.length - 1)].clone();
        int edits = data.consumeInt(0, 8);
        for (int i = 0; i < edits && b.length > 0; i++) {
            switch (data.consumeInt(0, 3)) {
                case 0 -> b[data.consumeInt(0, b.length - 1)] = data.consumeByte();
                case 1 -> b = Arrays.copyOf(b, data.consumeInt(0, b.length));
                case 2 -> {
                    int at = data.consumeInt(0, b.length);
                    byte[] run = data.consumeBytes(data.consumeInt(0, 64));
                    byte[] out = new byte[b.length + run.length];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(run, 0, out, at, run.length);
                    System.arraycopy(b, at, out, at + run.length, b.length - at);
                    b = out;
                }
                default -> {
                    // overwrite a 4-byte big-endian integer (sizes, lengths, offsets)
                    if (b.length >= 4) {
                        int at = data.consumeInt(0, b.length - 4);
                        int v = data.consumeInt();
                        b[at] = (byte) (v >>> 24);
                        b[at + 1] = (byte) (v >>> 16);
                        b[at + 2] = (byte) (v >>> 8);
                        b[at + 3] = (byte) v;
                    }
                }
            }
        }
        return b;
    }

    static byte[] resource(String name) {
        try (InputStream in = Inputs.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
