package dev.blip2serve.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

/**
 * The committed files in {@code src/test/resources/bad-inputs/} are what {@link BadInputFiles} generates. PNGs the
 * generator compresses itself are compared by their IHDR and inflated pixel data, since another zlib (a JDK built
 * with the system's) may compress the same bytes differently. With {@code BAD_INPUTS_REGENERATE=1} in the
 * environment it (re)writes them instead.
 */
class BadInputFilesTest {

    @Test
    void committedFilesMatchTheGenerator() throws Exception {
        if (System.getenv("BAD_INPUTS_REGENERATE") != null) {
            BadInputFiles.writeAll(BadInputFiles.DIR);
        }
        for (Map.Entry<String, byte[]> f : BadInputFiles.generate().entrySet()) {
            byte[] committed = Files.readAllBytes(BadInputFiles.DIR.resolve(f.getKey()));
            if (Arrays.equals(committed, f.getValue())) {
                continue;
            }
            assertThat(f.getKey()).as(f.getKey() + " differs from the generator; regenerate with BAD_INPUTS_REGENERATE=1")
                    .endsWith(".png");
            assertThat(pngContent(committed)).as(f.getKey() + " differs from the generator (IHDR or pixel data)")
                    .isEqualTo(pngContent(f.getValue()));
        }
    }

    /** The IHDR chunk followed by the inflated IDAT data. */
    private static byte[] pngContent(byte[] png) throws Exception {
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        for (int pos = 8; pos + 8 <= png.length; ) {
            int len = ByteBuffer.wrap(png, pos, 4).getInt();
            String type = new String(png, pos + 4, 4, StandardCharsets.US_ASCII);
            if (type.equals("IHDR")) {
                ihdr.write(png, pos, 8 + len);
            } else if (type.equals("IDAT")) {
                idat.write(png, pos + 8, len);
            }
            pos += 12 + len;
        }
        Inflater inflater = new Inflater();
        inflater.setInput(idat.toByteArray());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ihdr.toByteArray());
        byte[] buf = new byte[65536];
        while (!inflater.finished()) {
            int n = inflater.inflate(buf);
            if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                break;
            }
            out.write(buf, 0, n);
        }
        inflater.end();
        return out.toByteArray();
    }
}
