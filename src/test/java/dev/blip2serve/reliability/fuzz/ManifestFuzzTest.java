package dev.blip2serve.reliability.fuzz;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.repository.ManifestIo;
import dev.blip2serve.repository.RepositoryException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fuzzes {@link ManifestIo#read} and, for every manifest it accepts, {@link ManifestIo#verify} against a variant
 * folder holding one real file. read may only throw {@link RepositoryException}; verify must return its problems
 * (never throw), and never look outside the variant folder.
 */
class ManifestFuzzTest {

    private static final Path VARIANT;

    static {
        try {
            Path root = Files.createTempDirectory("fuzz-manifest-");
            VARIANT = Files.createDirectories(root.resolve("model/fp32"));
            Files.writeString(VARIANT.resolve("config.json"), "{}");
            root.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static final String SAMPLE = """
            {"schema":1,"model":"shapes-blip2","variant":"fp32","precision":"fp32",
             "source":{"path":"src/main/resources/models/shapes-blip2","sha256":"00","format":"safetensors"},
             "method":{"name":"convert","parameters":{"weights":"fp32","group_size":128,"alpha":0.5}},
             "calibration":{"name":"shapes","count":64,"sha256":"ab"},
             "components":{"vision":{"file":"vision.onnx","cpu":"fp32","cuda":"fp32"},
                           "decoder":{"file":"decoder.onnx","cpu":"fp32","cuda":"fp32"}},
             "files":[{"name":"config.json","bytes":2,"sha256":"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
                      {"name":"vision.onnx","bytes":10,"sha256":"00"},
                      {"name":"../outside.json","bytes":1,"sha256":"00"}],
             "quality":{"cider":1.5},"latency":{"p50_ms":3.2}}
            """;

    private static final byte[] SAMPLE_BYTES = SAMPLE.getBytes(StandardCharsets.UTF_8);

    @FuzzTest(maxDuration = "20s")
    void readAndVerify(FuzzedDataProvider data) throws IOException {
        Files.write(VARIANT.resolve(Manifest.FILE_NAME), Inputs.rawOrMutated(data, SAMPLE_BYTES));
        check(VARIANT);
    }

    /**
     * Regression of the first finding (fuzzing mode, 150 s run, 2026-11-27): a manifest whose {@code files} list
     * holds a null entry, or an entry without a name, passed {@code read} and made {@code verify} (and
     * {@code Manifest.totalBytes}, used by {@code /v1/models}) throw a NullPointerException. Now read refuses them.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "\"files\":[null]",
        "\"files\":[{\"bytes\":2,\"sha256\":\"00\"}]",
        "\"files\":[{\"name\":\"\",\"bytes\":2,\"sha256\":\"00\"}]",
        "\"files\":[{\"name\":\"config.json\",\"bytes\":2}]",
        "\"files\":[],\"components\":{\"vision\":null}"})
    void manifestsWithNullEntriesAreRefusedByRead(String members) throws IOException {
        Files.writeString(VARIANT.resolve(Manifest.FILE_NAME), "{\"schema\":1,\"model\":\"m\",\"variant\":\"v\","
                + "\"components\":{}," + members + "}");
        assertThatThrownBy(() -> ManifestIo.read(VARIANT)).isInstanceOf(RepositoryException.class)
                .hasMessageContaining("manifest.json");
        check(VARIANT);
    }

    static void check(Path variant) {
        Manifest m;
        try {
            m = ManifestIo.read(variant);
        } catch (RepositoryException expected) {
            return;
        }
        List<String> problems = ManifestIo.verify(variant, m);
        for (String p : problems) {
            if (p.contains("\n")) {
                throw new AssertionError("multi-line problem: " + p);
            }
        }
    }
}
