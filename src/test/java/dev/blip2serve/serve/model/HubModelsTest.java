package dev.blip2serve.serve.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.hub.TestHub;
import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.TestProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link HubModels} without Spring: what it fetches, what it leaves alone, and how failures show. */
class HubModelsTest {

    @TempDir
    Path tmp;

    TestHub hub;

    @BeforeEach
    void start() throws IOException {
        hub = new TestHub();
        hub.publish("gated/blip2", Path.of("src/main/resources/models/shapes-blip2"), "hf_secret");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    ServeProperties properties(String source, List<String> precisions) {
        ServeProperties d = TestProperties.defaults(tmp.resolve("repo"), "m", "fp32", List.of());
        return new ServeProperties(d.repository(), d.defaultModel(), d.defaultPrecision(), d.bootstrapVariants(),
                d.loadOnStartup(), d.verify(), d.warmUp(), d.defaultMaxNewTokens(), d.limits(), d.batching(), d.ort(),
                d.autoQuantize(), List.of(new ServeProperties.HubModel(source, "m", "main", precisions)),
                new ServeProperties.Hub(hub.endpoint(), tmp.resolve("cache"), false));
    }

    @Test
    void aPrecisionAlreadyInTheRepositoryIsNeverFetchedAgain() throws IOException {
        ServeProperties p = properties("gated/blip2", List.of("fp32"));
        Files.createDirectories(tmp.resolve("repo/m/fp32"));
        Files.writeString(tmp.resolve("repo/m/fp32/manifest.json"), "{}");
        ModelRegistry registry = new ModelRegistry(p, new SimpleMeterRegistry());
        assertThat(new HubModels(p, registry, new VariantProvisioner(p, registry), null).start(v -> { })).isNull();
        assertThat(registry.all()).isEmpty();
        assertThat(hub.log()).isEmpty();
    }

    @Test
    void aGatedRepositoryFailsTheVariantsWithAReasonToSetTheToken() throws Exception {
        ServeProperties p = properties("gated/blip2", List.of("fp32", "w4a16"));
        ModelRegistry registry = new ModelRegistry(p, new SimpleMeterRegistry());
        List<Variant> loaded = new ArrayList<>();
        Thread t = new HubModels(p, registry, new VariantProvisioner(p, registry), null).start(loaded::add);
        t.join(60_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(loaded).isEmpty();
        assertThat(registry.all()).hasSize(2).allSatisfy(v -> {
            assertThat(v.state()).isEqualTo(VariantState.FAILED);
            assertThat(v.status().reason()).contains("gated/blip2", "401", "HF_TOKEN").doesNotContain(tmp.toString());
        });
        assertThat(tmp.resolve("repo/m")).doesNotExist();
    }
}
