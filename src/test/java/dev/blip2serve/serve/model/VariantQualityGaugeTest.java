package dev.blip2serve.serve.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.repository.Manifest;
import dev.blip2serve.serve.TestProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link ModelRegistry#bindQuality} turns a manifest's {@code quality} map into one {@code blip2.variant.quality}
 * gauge per dataset and metric (Prometheus: {@code blip2_variant_quality{model, precision, dataset, metric}}), the
 * series the dashboard's quality table reads.
 */
class VariantQualityGaugeTest {

    private final MeterRegistry meters = new SimpleMeterRegistry();
    private final ModelRegistry registry = new ModelRegistry(
            TestProperties.defaults(Path.of("repo"), "shapes-blip2", "fp16", List.of()), meters);

    @Test
    void oneGaugePerDatasetAndMetricWithTheManifestsValue() {
        Variant fp16 = registry.register(new VariantKey("shapes-blip2", "fp16"), Path.of("repo/shapes-blip2/fp16"));
        registry.bindQuality(fp16, manifest("fp16", Map.of(
                "shapes-blip2/eval", Map.of("cider_d", 2.77, "spice", 0.23),
                "coco-karpathy-test", Map.of("cider_d", 1.45))));

        List<Gauge> gauges = List.copyOf(meters.find("blip2.variant.quality").gauges());
        assertThat(gauges).hasSize(3);
        assertThat(value("fp16", "shapes-blip2/eval", "cider_d")).isEqualTo(2.77);
        assertThat(value("fp16", "shapes-blip2/eval", "spice")).isEqualTo(0.23);
        assertThat(value("fp16", "coco-karpathy-test", "cider_d")).isEqualTo(1.45);
        for (Gauge g : gauges) {
            assertThat(g.getId().getTags()).extracting(t -> t.getKey())
                    .containsExactlyInAnyOrder("model", "precision", "dataset", "metric");
            assertThat(g.getId().getTag("model")).isEqualTo("shapes-blip2");
            assertThat(g.getId().getTag("precision")).isEqualTo("fp16");
        }
    }

    @Test
    void precisionsOfOneModelKeepTheirOwnValues() {
        for (String precision : List.of("fp32", "w4a16")) {
            Variant v = registry.register(new VariantKey("shapes-blip2", precision), Path.of("repo/shapes-blip2", precision));
            registry.bindQuality(v, manifest(precision,
                    Map.of("shapes-blip2/eval", Map.of("cider_d", precision.equals("fp32") ? 2.77 : 2.51))));
        }
        assertThat(meters.find("blip2.variant.quality").gauges()).hasSize(2);
        assertThat(value("fp32", "shapes-blip2/eval", "cider_d")).isEqualTo(2.77);
        assertThat(value("w4a16", "shapes-blip2/eval", "cider_d")).isEqualTo(2.51);
    }

    @Test
    void aManifestWithoutQualityRegistersNoGauge() {
        Variant v = registry.register(new VariantKey("shapes-blip2", "fp32"), Path.of("repo/shapes-blip2/fp32"));
        registry.bindQuality(v, manifest("fp32", null));
        registry.bindQuality(v, manifest("fp32", Map.of()));
        assertThat(meters.find("blip2.variant.quality").gauges()).isEmpty();
    }

    private double value(String precision, String dataset, String metric) {
        Gauge g = meters.find("blip2.variant.quality")
                .tags("model", "shapes-blip2", "precision", precision, "dataset", dataset, "metric", metric).gauge();
        assertThat(g).as(precision + " " + dataset + " " + metric).isNotNull();
        return g.value();
    }

    private static Manifest manifest(String variant, Map<String, Map<String, Double>> quality) {
        return new Manifest(Manifest.SCHEMA, "shapes-blip2", variant, variant,
                new Manifest.Source("checkpoint", "0".repeat(64), "safetensors"),
                new Manifest.Method("convert", Map.of("weights", variant)), null, Map.of(),
                List.of(new Manifest.FileEntry("decoder.onnx", 10, "0".repeat(64))),
                "2026-01-01T00:00:00Z", "0.1.0", quality, Map.of());
    }
}
