package dev.blip2serve.serve.caption;

import dev.blip2serve.serve.model.VariantKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;

/**
 * The captioning meters. Tags are bounded: {@code model} and {@code precision} only take names of registered
 * variants (never raw request input), {@code outcome} and {@code stage} come from fixed lists.
 *
 * <ul>
 *   <li>{@code blip2.caption.latency} (timer with a histogram): model, precision, outcome, api
 *       ({@code captions} for {@code /v1/captions*}, {@code chat_completions} for the OpenAI-compatible route)</li>
 *   <li>{@code blip2.stage.latency} (timer with a histogram): model, precision, stage
 *       (queue, preprocess, vision, prefill, decode)</li>
 *   <li>{@code blip2.time.to.first.token}, {@code blip2.time.per.output.token} (timers): model, precision</li>
 *   <li>{@code blip2.generated.tokens} (counter): model, precision</li>
 * </ul>
 */
@Component
public class CaptionMetrics {

    /** How a request ended. */
    public enum Outcome {
        SUCCESS, CLIENT_ERROR, REJECTED, UNAVAILABLE, ERROR;

        String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The API a request came through, the {@code api} tag of the request latency. */
    public enum Api {
        CAPTIONS, CHAT_COMPLETIONS, LIVE;

        String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    // Bounds for the histogram buckets: below a millisecond or above two minutes nothing is interesting.
    private static final Duration MIN = Duration.ofMillis(1);
    private static final Duration MAX = Duration.ofMinutes(2);

    private final MeterRegistry registry;

    public CaptionMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void request(VariantKey key, Outcome outcome, long nanos) {
        request(key, Api.CAPTIONS, outcome, nanos);
    }

    public void request(VariantKey key, Api api, Outcome outcome, long nanos) {
        Timer.builder("blip2.caption.latency").description("Caption request latency")
                .tag("model", key.model()).tag("precision", key.variant()).tag("outcome", outcome.tag())
                .tag("api", api.tag())
                .publishPercentileHistogram().minimumExpectedValue(MIN).maximumExpectedValue(MAX)
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void stage(VariantKey key, String stage, long nanos) {
        Timer.builder("blip2.stage.latency").description("Time per captioning stage")
                .tag("model", key.model()).tag("precision", key.variant()).tag("stage", stage)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(MAX)
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * @param firstTokenNanos from the start of the request to the first new token (end of prefill)
     * @param decodeNanos     the decode loop after prefill
     * @param decodeSteps     decoder steps after prefill
     */
    public void tokens(VariantKey key, int generated, long firstTokenNanos, long decodeNanos, int decodeSteps) {
        Counter.builder("blip2.generated.tokens").description("New tokens of the returned best captions")
                .tag("model", key.model()).tag("precision", key.variant()).register(registry).increment(generated);
        Timer.builder("blip2.time.to.first.token").description("Request start to the first new token")
                .tag("model", key.model()).tag("precision", key.variant())
                .register(registry).record(firstTokenNanos, TimeUnit.NANOSECONDS);
        if (decodeSteps > 0) {
            Timer.builder("blip2.time.per.output.token").description("Decode time per step after the first token")
                    .tag("model", key.model()).tag("precision", key.variant())
                    .register(registry).record(decodeNanos / decodeSteps, TimeUnit.NANOSECONDS);
        }
    }
}
