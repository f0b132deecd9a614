package dev.blip2serve.serve;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The service's settings, {@code blip2.*}.
 *
 * @param repository             the model repository: {@code <repository>/<model>/<variant>/manifest.json}
 * @param defaultModel           the model a request gets when it names none
 * @param defaultPrecision       the variant a request gets when it names none; readiness waits for it
 * @param bootstrapVariants      variants built from the bundled shapes-blip2 checkpoint when the repository has
 *                               none of that model ({@code fp32}, {@code fp16}); empty turns bootstrapping off
 * @param loadOnStartup          load the repository in the background once the application is up (tests of the
 *                               HTTP layer turn it off and register fake variants)
 * @param verify                 check sizes and SHA-256 of every variant file against its manifest before loading
 * @param warmUp                 caption one blank image with each variant before it is reported ready
 * @param defaultMaxNewTokens    {@code max_new_tokens} when a request gives none
 * @param limits                 request limits
 * @param concurrency            per-variant admission control
 * @param ort                    ONNX Runtime session settings
 */
@ConfigurationProperties("blip2")
public record ServeProperties(
        @DefaultValue("./model-repository") Path repository,
        @DefaultValue("shapes-blip2") String defaultModel,
        @DefaultValue("fp32") String defaultPrecision,
        @DefaultValue({"fp32", "fp16"}) List<String> bootstrapVariants,
        @DefaultValue("true") boolean loadOnStartup,
        @DefaultValue("true") boolean verify,
        @DefaultValue("true") boolean warmUp,
        @DefaultValue("20") int defaultMaxNewTokens,
        @DefaultValue Limits limits,
        @DefaultValue Concurrency concurrency,
        @DefaultValue Ort ort) {

    /**
     * What one request may ask for.
     *
     * @param maxBodyBytes   largest image (raw body, multipart part, or decoded base64)
     * @param maxPixels      largest declared width x height, checked before decoding (decompression bombs)
     * @param maxPromptChars longest prompt
     * @param maxNewTokens   largest {@code max_new_tokens}
     * @param maxBeams       largest {@code num_beams}
     */
    public record Limits(
            @DefaultValue("20MB") DataSize maxBodyBytes,
            @DefaultValue("50000000") long maxPixels,
            @DefaultValue("2000") int maxPromptChars,
            @DefaultValue("64") int maxNewTokens,
            @DefaultValue("8") int maxBeams) {

        /** A JSON body carries the image as base64 (4/3 of its size) plus a few small fields. */
        public long maxJsonBytes() {
            return maxBodyBytes.toBytes() / 3 * 4 + 64 * 1024;
        }
    }

    /**
     * Admission control per variant. Requests beyond {@code maxInFlight} wait up to {@code maxQueueWait} for a
     * slot, then get 429 with {@code Retry-After: retryAfterSeconds}; nothing queues without bound.
     */
    public record Concurrency(
            @DefaultValue("4") int maxInFlight,
            @DefaultValue("2s") Duration maxQueueWait,
            @DefaultValue("1") int retryAfterSeconds) {
    }

    /** @param intraOpThreads threads per operator; 0 lets ONNX Runtime use one per core */
    public record Ort(@DefaultValue("0") int intraOpThreads) {
    }
}
