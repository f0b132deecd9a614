package dev.blip2serve.serve.model;

import dev.blip2serve.bench.ProcessMemory;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.serve.ServeProperties;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The variants the service knows, in every state. The loader adds them; requests look them up. Closing the
 * application closes every loaded model.
 */
@Component
public class ModelRegistry implements DisposableBean {

    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
    private final ConcurrentSkipListMap<VariantKey, Variant> variants = new ConcurrentSkipListMap<>();
    private final ServeProperties properties;
    private final MeterRegistry meters;
    private final GpuMemoryMetrics gpu;

    /** Without GPU metrics (tests without Spring). */
    public ModelRegistry(ServeProperties properties, MeterRegistry meters) {
        this(properties, meters, GpuMemoryMetrics.none());
    }

    @Autowired
    public ModelRegistry(ServeProperties properties, MeterRegistry meters, GpuMemoryMetrics gpu) {
        this.properties = properties;
        this.meters = meters;
        this.gpu = gpu;
        Gauge.builder("blip2.process.resident.memory", ProcessMemory::residentBytes)
                .baseUnit("bytes").description("Resident set size of the whole process (JVM + ONNX Runtime); -1 off Linux")
                .register(meters);
    }

    /** The variant at {@code key}, added in state LOADING if it is new. */
    public Variant register(VariantKey key, Path dir) {
        return variants.computeIfAbsent(key, k -> {
            Variant v = new Variant(k, dir, properties.batching(), batchSizes(k));
            bindGauges(v);
            return v;
        });
    }

    /** GPU memory readings; {@link GpuMemoryMetrics#active()} is false without CUDA or NVML. */
    public GpuMemoryMetrics gpu() {
        return gpu;
    }

    public Optional<Variant> find(String model, String variant) {
        return Optional.ofNullable(variants.get(new VariantKey(model, variant)));
    }

    /** Every variant, by model then variant name. */
    public List<Variant> all() {
        return List.copyOf(variants.values());
    }

    /** Variant names of {@code model}, in any state. */
    public List<String> variantNames(String model) {
        return variants.keySet().stream().filter(k -> k.model().equals(model)).map(VariantKey::variant).toList();
    }

    public boolean hasModel(String model) {
        return variants.keySet().stream().anyMatch(k -> k.model().equals(model));
    }

    /** The variant requests get when they name none. */
    public Optional<Variant> defaultVariant() {
        return find(properties.defaultModel(), properties.defaultPrecision());
    }

    /** Requests per engine call, with a bucket per power of two up to the largest batch. */
    private DistributionSummary batchSizes(VariantKey k) {
        int max = properties.batching().maxBatch();
        List<Double> buckets = new ArrayList<>();
        for (int b = 1; b < max; b *= 2) {
            buckets.add((double) b);
        }
        buckets.add((double) max);
        return DistributionSummary.builder("blip2.batch.size").description("Requests captioned together in one engine call")
                .tags(Tags.of("model", k.model(), "precision", k.variant()))
                .serviceLevelObjectives(buckets.stream().mapToDouble(Double::doubleValue).toArray())
                .register(meters);
    }

    private void bindGauges(Variant v) {
        Tags tags = Tags.of("model", v.key().model(), "precision", v.key().variant());
        Gauge.builder("blip2.inflight", v, Variant::inFlight).tags(tags)
                .description("Caption requests in a running batch on the variant").register(meters);
        Gauge.builder("blip2.queue.depth", v, Variant::waiting).tags(tags)
                .description("Caption requests waiting for a batch on the variant").register(meters);
        Gauge.builder("blip2.queue.capacity", v, x -> x.scheduler().capacity()).tags(tags)
                .description("Requests the variant holds at once (queued + running); one more is refused with 429")
                .register(meters);
        Gauge.builder("blip2.variant.load.resident.delta", v,
                        x -> x.loadResidentDeltaBytes() == Variant.NOT_MEASURED ? Double.NaN : x.loadResidentDeltaBytes())
                .tags(tags).baseUnit("bytes")
                .description("Growth of the process RSS while the variant was opened and warmed up (approximate)")
                .register(meters);
        if (gpu.active()) {
            Gauge.builder("blip2.variant.load.gpu.delta", v,
                            x -> x.loadGpuDeltaBytes() == Variant.NOT_MEASURED ? Double.NaN : x.loadGpuDeltaBytes())
                    .tags(tags).baseUnit("bytes")
                    .description("Growth of this process's GPU memory while the variant was opened and warmed up (NVML)")
                    .register(meters);
        }
        Gauge.builder("blip2.variant.ready", v, x -> x.state() == VariantState.READY ? 1 : 0).tags(tags)
                .description("1 when the variant serves, 0 while loading or after it failed").register(meters);
        Gauge.builder("blip2.model.bytes", v, x -> x.status().manifest() == null ? Double.NaN : x.status().manifest().totalBytes())
                .tags(tags).baseUnit("bytes").description("Bytes of the variant's files on disk").register(meters);
    }

    /**
     * The quality numbers a variant's manifest carries (eval / reproduce write them), one gauge per dataset and
     * metric: what the dashboards compare across precisions.
     */
    public void bindQuality(Variant v, Manifest manifest) {
        if (manifest.quality() == null) {
            return;
        }
        manifest.quality().forEach((dataset, metrics) -> metrics.forEach((metric, value) ->
                Gauge.builder("blip2.variant.quality", () -> value)
                        .tags(Tags.of("model", v.key().model(), "precision", v.key().variant(), "dataset", dataset, "metric", metric))
                        .description("Quality measured for the variant (from its manifest), e.g. CIDEr-D on an eval set")
                        .register(meters)));
    }

    /**
     * Graceful shutdown (after the web server stopped taking new connections): every variant stops admitting,
     * finishes the requests it already admitted (bounded by {@code blip2.batching.drain-timeout}), then frees its
     * native sessions.
     */
    @Override
    public void destroy() throws InterruptedException {
        for (Variant v : variants.values()) {
            v.scheduler().shutdown();
        }
        long end = System.nanoTime() + properties.batching().drainTimeout().toNanos();
        for (Variant v : variants.values()) {
            Duration left = Duration.ofNanos(Math.max(0, end - System.nanoTime()));
            if (!v.scheduler().awaitTermination(left)) {
                LOG.warn("{}: requests still running after {}, closing anyway", v.key(), properties.batching().drainTimeout());
            }
            CaptionModel m = v.status().model();
            if (m != null) {
                v.failed("service shutting down", v.status().manifest());
                m.close();
            }
        }
    }
}
