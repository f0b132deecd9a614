package dev.blip2serve.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Manifests in today's schema round-trip; schema 1 (the label was {@code variant}) reads in today's words. */
class ManifestIoTest {

    private static final String COMPONENTS = """
            "components":{"decoder":{"file":"decoder.onnx","cpu":"int4","cuda":"int4"}},
            "files":[{"name":"decoder.onnx","bytes":1,"sha256":"00"}]""";

    @Test
    void schemaOneNamedTheLabelVariantAndThePresetPrecision(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(Manifest.FILE_NAME), """
                {"schema":1,"model":"shapes-blip2","variant":"w4a16-all","precision":"w4a16",%s}
                """.formatted(COMPONENTS));
        Manifest m = ManifestIo.read(dir);
        assertThat(m.schema()).isEqualTo(Manifest.SCHEMA);
        assertThat(m.precision()).as("the label").isEqualTo("w4a16-all");
        assertThat(m.preset()).isEqualTo("w4a16");
    }

    @Test
    void aWrittenManifestReadsBackEqual(@TempDir Path dir) throws Exception {
        Manifest m = new Manifest(Manifest.SCHEMA, "shapes-blip2", "w4a16-all", "w4a16",
                new Manifest.Source("ckpt", "ab", "safetensors"), new Manifest.Method("awq", Map.of("group_size", 128)),
                null, Map.of("decoder", new Manifest.Component("decoder.onnx", "int4", "int4")),
                List.of(new Manifest.FileEntry("decoder.onnx", 1, "00")), "2026-12-02T00:00:00Z", "0.1.0", Map.of(),
                Map.of());
        ManifestIo.write(dir, m);
        assertThat(Files.readString(dir.resolve(Manifest.FILE_NAME))).contains("\"precision\" : \"w4a16-all\"")
                .contains("\"preset\" : \"w4a16\"").doesNotContain("\"variant\"");
        assertThat(ManifestIo.read(dir)).isEqualTo(m);
    }

    @Test
    void anUnknownSchemaOrAMissingLabelIsRefusedWithAReason(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(Manifest.FILE_NAME), """
                {"schema":3,"model":"m","precision":"fp32","preset":"fp32",%s}
                """.formatted(COMPONENTS));
        assertThatThrownBy(() -> ManifestIo.read(dir)).isInstanceOf(RepositoryException.class)
                .hasMessageContaining("unknown schema");
        Files.writeString(dir.resolve(Manifest.FILE_NAME), """
                {"schema":1,"model":"m","precision":"fp32",%s}
                """.formatted(COMPONENTS));
        assertThatThrownBy(() -> ManifestIo.read(dir)).isInstanceOf(RepositoryException.class)
                .hasMessageContaining("lacks required fields");
        Files.writeString(dir.resolve(Manifest.FILE_NAME), "[1, 2]");
        assertThatThrownBy(() -> ManifestIo.read(dir)).isInstanceOf(RepositoryException.class);
    }
}
