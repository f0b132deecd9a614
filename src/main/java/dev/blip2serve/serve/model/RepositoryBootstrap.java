package dev.blip2serve.serve.model;

import dev.blip2serve.convert.Blip2Converter;
import dev.blip2serve.convert.FloatVariant;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.serve.ServeProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Builds the default variants from the bundled shapes-blip2 checkpoint when the repository has none of that
 * model, so a fresh clone captions offline with one command. Real models are added with the CLI's
 * {@code convert} / {@code quantize} into the same repository.
 */
@Component
public class RepositoryBootstrap {

    private static final Logger LOG = LoggerFactory.getLogger(RepositoryBootstrap.class);

    private final ServeProperties properties;
    private final ModelRegistry registry;

    public RepositoryBootstrap(ServeProperties properties, ModelRegistry registry) {
        this.properties = properties;
        this.registry = registry;
    }

    /** True when {@code <repo>/shapes-blip2/} holds no folder with a manifest (an interrupted build has none). */
    static boolean needed(Path repository) throws IOException {
        Path model = repository.resolve(EmbeddedCheckpoint.MODEL);
        if (!Files.isDirectory(model)) {
            return true;
        }
        try (Stream<Path> dirs = Files.list(model)) {
            return dirs.noneMatch(d -> Files.isRegularFile(d.resolve(Manifest.FILE_NAME)));
        }
    }

    /**
     * Converts each configured bootstrap variant if the model has no variants yet. A variant that fails is
     * reported FAILED in the registry; the others still get built.
     */
    public void run() throws IOException {
        Path repository = properties.repository();
        if (properties.bootstrapVariants().isEmpty() || !needed(repository)) {
            return;
        }
        LOG.info("{} has no {} variants: building {} from the bundled checkpoint", repository,
                EmbeddedCheckpoint.MODEL, properties.bootstrapVariants());
        Path checkpoint = Files.createTempDirectory("blip2-bundled-");
        try {
            EmbeddedCheckpoint.copyTo(checkpoint, RepositoryBootstrap.class.getClassLoader());
            for (String name : properties.bootstrapVariants()) {
                convert(checkpoint, repository, name.strip());
            }
        } finally {
            deleteTree(checkpoint);
        }
    }

    private void convert(Path checkpoint, Path repository, String name) {
        Path dir = repository.resolve(EmbeddedCheckpoint.MODEL).resolve(name);
        Variant variant = registry.register(new VariantKey(EmbeddedCheckpoint.MODEL, name), dir);
        FloatVariant floats;
        try {
            floats = FloatVariant.parse(name);
        } catch (IllegalArgumentException e) {
            // Quantized variants need calibration: that is the CLI's quantize command, not a start-up step.
            variant.failed("only float variants can be built at start-up (" + e.getMessage()
                    + "); make '" + name + "' with the quantize command", null);
            return;
        }
        long start = System.nanoTime();
        try {
            Blip2Converter.convert(new Blip2Converter.Request(checkpoint, dir, EmbeddedCheckpoint.MODEL, name,
                    floats.weights(), Blip2Converter.INLINE_LIMIT, floats.compute()), new ConversionProgress(variant));
            LOG.info("{}: built in {} ms", variant.key(), (System.nanoTime() - start) / 1_000_000);
            variant.loading("built; queued for loading");
        } catch (IOException | RuntimeException e) {
            LOG.error("{}: building from the bundled checkpoint failed", variant.key(), e);
            variant.failed("building from the bundled checkpoint failed: " + e.getMessage(), null);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", root, e.getMessage());
        }
    }
}
