package dev.blip2serve.serve.live;

import dev.blip2serve.serve.model.VariantKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;

/**
 * The live meters. {@code model} and {@code precision} are those of a registered variant (a session names one
 * before it counts anything); {@code fate} comes from {@link Fate}. The captions of live frames also count in the
 * caption meters ({@code blip2_caption_latency_seconds}, stages, batch sizes), as any request does.
 *
 * <ul>
 *   <li>{@code blip2.live.frames.received} (counter): model, precision</li>
 *   <li>{@code blip2.live.frames} (counter): model, precision, fate</li>
 *   <li>{@code blip2.live.captions.sent} (counter): model, precision; caption messages, one per change</li>
 *   <li>{@code blip2.live.glass.to.caption} (timer with a histogram): model, precision; frame receipt to its
 *       caption message sent</li>
 *   <li>{@code blip2.live.sessions} (gauge): model, precision; open sessions</li>
 *   <li>{@code blip2.live.sessions.refused} (counter): sessions closed at once because the cap was reached</li>
 * </ul>
 */
@Component
public class LiveMetrics {

    /** What became of a received frame; every received frame ends in exactly one (a waiting one when it closes aside). */
    public enum Fate {
        /** replaced by a newer frame before the session got to it */
        DROPPED,
        /** its scene had not changed since the last captioned frame */
        SKIPPED,
        /** captioned (a message followed only when the caption changed) */
        CAPTIONED,
        /** not a usable image (an error message followed) */
        INVALID,
        /** the variant could not caption it: loading, busy, past the deadline, failed (an error message followed) */
        FAILED;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final MeterRegistry registry;
    private final Map<VariantKey, AtomicInteger> open = new ConcurrentHashMap<>();
    private final Counter refused;

    public LiveMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.refused = Counter.builder("blip2.live.sessions.refused")
                .description("Live sessions closed at once because blip2.live.max-sessions were open").register(registry);
    }

    /** A session of this variant opened: the gauge counts it, and every frame counter exists from now on (at 0). */
    void opened(VariantKey key) {
        sessions(key).incrementAndGet();
        received(key, 0);
        for (Fate f : Fate.values()) {
            frames(key, f, 0);
        }
        captionSent(key, 0);
    }

    void closed(VariantKey key) {
        sessions(key).decrementAndGet();
    }

    void refused() {
        refused.increment();
    }

    void received(VariantKey key, int n) {
        Counter.builder("blip2.live.frames.received").description("Frames received by live sessions")
                .tag("model", key.model()).tag("precision", key.variant()).register(registry).increment(n);
    }

    void frames(VariantKey key, Fate fate, int n) {
        Counter.builder("blip2.live.frames").description("Frames of live sessions by what became of them")
                .tag("model", key.model()).tag("precision", key.variant()).tag("fate", fate.tag())
                .register(registry).increment(n);
    }

    void captionSent(VariantKey key, int n) {
        Counter.builder("blip2.live.captions.sent").description("Caption messages sent to live sessions (changes)")
                .tag("model", key.model()).tag("precision", key.variant()).register(registry).increment(n);
    }

    void glassToCaption(VariantKey key, long nanos) {
        Timer.builder("blip2.live.glass.to.caption").description("Live frame receipt to its caption message sent")
                .tag("model", key.model()).tag("precision", key.variant())
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(2))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    private AtomicInteger sessions(VariantKey key) {
        return open.computeIfAbsent(key, k -> {
            AtomicInteger n = new AtomicInteger();
            Gauge.builder("blip2.live.sessions", n, AtomicInteger::get).description("Open live sessions")
                    .tag("model", k.model()).tag("precision", k.variant()).register(registry);
            return n;
        });
    }
}
