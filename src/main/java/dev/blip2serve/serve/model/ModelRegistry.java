package dev.blip2serve.serve.model;

import dev.blip2serve.serve.ServeProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The variants the service knows, in every state. The loader adds them; requests look them up. Closing the
 * application closes every loaded model.
 */
@Component
public class ModelRegistry implements DisposableBean {

    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

    private final ConcurrentSkipListMap<VariantKey, Variant> variants = new ConcurrentSkipListMap<>();
    private final ServeProperties properties;
    private final MeterRegistry meters;

    public ModelRegistry(ServeProperties properties, MeterRegistry meters) {
        this.properties = properties;
        this.meters = meters;
    }

    /** The variant at {@code key}, added in state LOADING if it is new. */
    public Variant register(VariantKey key, Path dir) {
        return variants.computeIfAbsent(key, k -> {
            Variant v = new Variant(k, dir, properties.concurrency().maxInFlight());
            bindGauges(v);
            return v;
        });
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

    private void bindGauges(Variant v) {
        Tags tags = Tags.of("model", v.key().model(), "precision", v.key().variant());
        Gauge.builder("blip2.inflight", v, Variant::inFlight).tags(tags)
                .description("Caption requests running on the variant").register(meters);
        Gauge.builder("blip2.queue.depth", v, Variant::waiting).tags(tags)
                .description("Caption requests waiting for a slot on the variant").register(meters);
        Gauge.builder("blip2.variant.ready", v, x -> x.state() == VariantState.READY ? 1 : 0).tags(tags)
                .description("1 when the variant serves, 0 while loading or after it failed").register(meters);
        Gauge.builder("blip2.model.bytes", v, x -> x.status().manifest() == null ? Double.NaN : x.status().manifest().totalBytes())
                .tags(tags).baseUnit("bytes").description("Bytes of the variant's files on disk").register(meters);
    }

    /** Stops admitting requests, lets running ones finish (bounded), then frees the native sessions. */
    @Override
    public void destroy() throws InterruptedException {
        for (Variant v : variants.values()) {
            CaptionModel m = v.status().model();
            if (m != null) {
                v.failed("service shutting down", v.status().manifest());
                if (!v.drain(DRAIN_TIMEOUT)) {
                    LOG.warn("{}: requests still running after {}, closing anyway", v.key(), DRAIN_TIMEOUT);
                }
                m.close();
            }
        }
    }
}
