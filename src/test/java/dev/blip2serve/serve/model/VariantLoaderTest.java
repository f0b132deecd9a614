package dev.blip2serve.serve.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.TestProperties;
import dev.blip2serve.testing.Fixtures;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading a repository where most variants are broken: each broken one is FAILED with its own reason, and the
 * intact one is READY (verified and warmed up) all the same.
 */
class VariantLoaderTest {

    @TempDir
    Path repository;

    @Test
    void brokenVariantsFailWithTheirReasonAndTheRestServe() throws Exception {
        Path converted = Fixtures.variant(Fixtures.SHAPES, WeightPrecision.FP32);
        Path model = repository.resolve("shapes");
        copy(converted, model.resolve("good"));
        copy(converted, model.resolve("tampered"));
        flipLastByte(model.resolve("tampered/decoder.onnx"));
        copy(converted, model.resolve("incomplete"));
        Files.delete(model.resolve("incomplete/tokenizer.json"));
        Files.createDirectories(model.resolve("empty"));
        Files.createDirectories(model.resolve(".partial")); // hidden: ignored

        ServeProperties properties = TestProperties.defaults(repository, "shapes", "good", List.of());
        ModelRegistry registry = new ModelRegistry(properties, new SimpleMeterRegistry());
        new VariantLoader(properties, registry, new RepositoryBootstrap(properties, registry),
                new VariantProvisioner(properties, registry)).loadAll();
        try {
            assertThat(registry.all()).extracting(v -> v.key().variant())
                    .containsExactly("empty", "good", "incomplete", "tampered");
            assertThat(state(registry, "good")).isEqualTo(VariantState.READY);
            assertThat(registry.find("shapes", "good").orElseThrow().status().model()).isNotNull();
            assertFailed(registry, "tampered", "decoder.onnx: SHA-256 does not match the manifest");
            assertFailed(registry, "incomplete", "tokenizer.json: missing");
            assertFailed(registry, "empty", "no manifest.json");
            // The manifest of a variant that failed verification is still shown.
            assertThat(registry.find("shapes", "tampered").orElseThrow().status().manifest()).isNotNull();
        } finally {
            registry.destroy();
        }
    }

    @Test
    void bootstrapIsNeededOnlyWithoutAnyManifest() throws IOException {
        assertThat(RepositoryBootstrap.needed(repository)).isTrue();
        Path v = Files.createDirectories(repository.resolve(EmbeddedCheckpoint.MODEL).resolve("fp32"));
        assertThat(RepositoryBootstrap.needed(repository)).isTrue(); // an interrupted build
        Files.writeString(v.resolve("manifest.json"), "{}");
        assertThat(RepositoryBootstrap.needed(repository)).isFalse();
    }

    @Test
    void bundledCheckpointCopiesWithItsShards() throws IOException {
        EmbeddedCheckpoint.copyTo(repository, getClass().getClassLoader());
        try (Stream<Path> files = Files.list(repository)) {
            assertThat(files.map(p -> p.getFileName().toString())).contains("config.json", "tokenizer.json",
                    "preprocessor_config.json", "model.safetensors.index.json", "model-00001-of-00003.safetensors",
                    "model-00003-of-00003.safetensors");
        }
    }

    private static VariantState state(ModelRegistry registry, String variant) {
        return registry.find("shapes", variant).orElseThrow().state();
    }

    private static void assertFailed(ModelRegistry registry, String variant, String reason) {
        Variant v = registry.find("shapes", variant).orElseThrow();
        assertThat(v.state()).as(variant).isEqualTo(VariantState.FAILED);
        assertThat(v.status().reason()).as(variant).contains(reason).doesNotStartWith("/");
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    private static void flipLastByte(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[b.length - 1] ^= 1;
        Files.write(file, b);
    }
}
