package dev.blip2serve.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The build writes a CycloneDX SBOM of the runtime dependencies into the jar (META-INF/sbom/). */
class SbomTest {

    @Test
    void theJarCarriesACycloneDxSbomOfItsDependencies() throws Exception {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("META-INF/sbom/application.cdx.json")) {
            assertThat(in).as("META-INF/sbom/application.cdx.json on the class path").isNotNull();
            JsonNode bom = JsonMapper.builder().build().readTree(in);
            assertThat(bom.path("bomFormat").asString()).isEqualTo("CycloneDX");
            assertThat(bom.path("components").valueStream().map(c -> c.path("name").asString()))
                    .contains("onnxruntime", "spring-boot", "tokenizers", "protobuf-java");
        }
    }
}
