package dev.blip2serve.serve;

import dev.blip2serve.runtime.OrtOptions;
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
 * @param batching             per-variant queue, micro-batching, deadlines and shutdown
 * @param ort                    ONNX Runtime session settings
 * @param autoQuantize           quantized variants of the bundled model built in the background after start-up
 * @param models                 models named by their Hugging Face Hub repository id, downloaded, converted and
 *                               quantized on first start (in the background), served from the repository after that
 * @param hub                    where {@code models} come from (overrides of the {@code HF_*} environment)
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
        @DefaultValue Batching batching,
        @DefaultValue Ort ort,
        @DefaultValue AutoQuantize autoQuantize,
        List<HubModel> models,
        @DefaultValue Hub hub) {

    public ServeProperties {
        models = models == null ? List.of() : List.copyOf(models);
    }

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
     * The queue and micro-batching per variant. Each variant admits at most {@code maxQueued} waiting requests
     * plus {@code workers * maxBatch} running ones; one more is answered 429 with {@code Retry-After} at once,
     * so nothing queues without bound. A worker takes the oldest waiting request and every waiting request with
     * the same generation parameters, up to {@code maxBatch}; while other admitted requests are still being
     * preprocessed it waits for them at most {@code maxWait} (counted from the oldest request's arrival). A request
     * that is alone is not delayed.
     *
     * @param maxBatch          most requests captioned in one engine call
     * @param maxWait           longest a batch waits for admitted requests still being preprocessed to join it
     * @param maxQueued         requests admitted beyond those running; more are refused with 429
     * @param workers           batches running at once per variant (each uses ONNX Runtime's intra-op threads)
     * @param deadline          default and largest per-request deadline ({@code deadline_ms}); a request past it
     *                          is answered 503 {@code deadline-exceeded} and, if still queued, never runs
     * @param retryAfterSeconds {@code Retry-After} of a 429 and of a 503 that is worth retrying
     * @param drainTimeout      at shutdown, how long admitted requests may take to finish before the models close
     */
    public record Batching(
            @DefaultValue("8") int maxBatch,
            @DefaultValue("10ms") Duration maxWait,
            @DefaultValue("32") int maxQueued,
            @DefaultValue("1") int workers,
            @DefaultValue("30s") Duration deadline,
            @DefaultValue("1") int retryAfterSeconds,
            @DefaultValue("30s") Duration drainTimeout) {

        public Batching {
            if (maxBatch < 1) {
                throw new IllegalArgumentException("blip2.batching.max-batch must be at least 1, got " + maxBatch);
            }
            if (maxQueued < 0) {
                throw new IllegalArgumentException("blip2.batching.max-queued must not be negative, got " + maxQueued);
            }
            if (workers < 1) {
                throw new IllegalArgumentException("blip2.batching.workers must be at least 1, got " + workers);
            }
            if (maxWait.isNegative()) {
                throw new IllegalArgumentException("blip2.batching.max-wait must not be negative, got " + maxWait);
            }
            if (deadline.isNegative() || deadline.isZero()) {
                throw new IllegalArgumentException("blip2.batching.deadline must be positive, got " + deadline);
            }
            if (retryAfterSeconds < 0) {
                throw new IllegalArgumentException("blip2.batching.retry-after-seconds must not be negative");
            }
        }

        /** Requests a variant holds at once: waiting plus running. */
        public int capacity() {
            return maxQueued + workers * maxBatch;
        }
    }

    /**
     * @param intraOpThreads threads per operator; 0 lets ONNX Runtime use one per core
     * @param cuda           CUDA execution provider (needs the GPU build, {@code -Pgpu}, and CUDA 12 + cuDNN 9)
     * @param cudaDevice     GPU ordinal
     * @param cudaMemoryLimit cap of each session's CUDA arena; 0 = none
     */
    public record Ort(@DefaultValue("0") int intraOpThreads, @DefaultValue("false") boolean cuda,
                      @DefaultValue("0") int cudaDevice, @DefaultValue("0") DataSize cudaMemoryLimit) {

        /** Session options for every variant: CPU, or the CUDA execution provider of the GPU build. */
        public OrtOptions options() {
            return new OrtOptions(intraOpThreads, cuda, cudaDevice, cudaMemoryLimit.toBytes());
        }
    }

    /**
     * Quantized variants of the bundled shapes-blip2 model, built by {@code VariantProvisioner} in the background
     * once the default variant serves (readiness never waits for them), each scored on the bundled eval set. A
     * variant already in the repository is never rebuilt.
     *
     * @param presets          quantize presets to build (e.g. {@code w8a8}, {@code w4a16}, {@code w4a4-g128}); empty
     *                         turns background quantization off
     * @param calibrationLimit the first N images of the bundled calibration set (0 = all 128)
     * @param evalLimit        the first N items of the bundled eval set scored for {@code quality} (0 = all 300)
     * @param threads          cores a build may use (its fork-join pool and ONNX Runtime sessions); 0 = half the
     *                         cores, at least one
     * @param nice             Linux nice value of the build threads (0..19): serving threads win the CPU
     */
    public record AutoQuantize(
            @DefaultValue({"w8a8", "w4a16", "w4a4-g128"}) List<String> presets,
            @DefaultValue("0") int calibrationLimit,
            @DefaultValue("0") int evalLimit,
            @DefaultValue("0") int threads,
            @DefaultValue("10") int nice) {

        public AutoQuantize {
            presets = presets == null ? List.of()
                    : presets.stream().map(String::strip).filter(p -> !p.isEmpty()).distinct().toList();
            if (calibrationLimit < 0 || evalLimit < 0) {
                throw new IllegalArgumentException("blip2.auto-quantize.calibration-limit and eval-limit must not be negative");
            }
            if (threads < 0) {
                throw new IllegalArgumentException("blip2.auto-quantize.threads must not be negative, got " + threads);
            }
            if (nice < 0 || nice > 19) {
                throw new IllegalArgumentException("blip2.auto-quantize.nice must be in 0..19, got " + nice);
            }
        }

        /** The cores a build uses: {@link #threads}, or half the machine's. */
        public int effectiveThreads() {
            return threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        }
    }

    /**
     * A model from the Hugging Face Hub: {@code blip2.models[0].source=Salesforce/blip2-opt-2.7b}. A BLIP-2 checkpoint
     * is converted to the float precisions and quantized to the preset ones; a repository of pre-quantized variants
     * (folders with manifests) is verified and its variants installed.
     *
     * @param source     hub repository id
     * @param name       the model's name in the repository and in requests (default: the id's part after '/')
     * @param revision   branch, tag or commit
     * @param precisions variants to serve: float ones ({@code fp32}, {@code fp16}, {@code fp16-compute}) are
     *                   converted, quantize presets ({@code w8a8}, {@code w4a16}, ...) are built in the background on
     *                   the bundled calibration set; for pre-quantized repositories, the variants to install (empty:
     *                   all)
     */
    public record HubModel(String source, String name, @DefaultValue("main") String revision,
                           @DefaultValue("fp32") List<String> precisions) {

        public HubModel {
            if (source == null || source.isBlank()) {
                throw new IllegalArgumentException("blip2.models[].source must name a hub repository, e.g. Salesforce/blip2-opt-2.7b");
            }
            new dev.blip2serve.hub.RepoId(source.strip()); // a bad id fails the start-up with the hub's reason
            source = source.strip();
            precisions = precisions == null ? List.of()
                    : precisions.stream().map(String::strip).filter(p -> !p.isEmpty()).distinct().toList();
            if (name == null || name.isBlank()) {
                name = source.substring(source.indexOf('/') + 1);
            }
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
                throw new IllegalArgumentException("blip2.models[].name must be letters, digits, '.', '_' or '-', got '" + name + "'");
            }
        }
    }

    /**
     * Overrides of huggingface_hub's environment ({@code HF_ENDPOINT}, {@code HF_HUB_CACHE}, {@code HF_HUB_OFFLINE});
     * the token is only ever read from {@code HF_TOKEN} or {@code $HF_HOME/token}, never from configuration files.
     *
     * @param endpoint hub URL; empty = {@code HF_ENDPOINT} or https://huggingface.co
     * @param cacheDir hub cache; empty = {@code HF_HUB_CACHE} or {@code $HF_HOME/hub}
     * @param offline  the cache only, as {@code HF_HUB_OFFLINE=1}
     */
    public record Hub(String endpoint, Path cacheDir, @DefaultValue("false") boolean offline) {

        /** The environment's settings with these overrides. */
        public dev.blip2serve.hub.HubSettings settings() {
            dev.blip2serve.hub.HubSettings s = dev.blip2serve.hub.HubSettings.fromEnvironment();
            if (endpoint != null && !endpoint.isBlank()) {
                s = s.withEndpoint(java.net.URI.create(endpoint.strip()));
            }
            if (cacheDir != null) {
                s = s.withCacheDir(cacheDir);
            }
            return offline ? s.withOffline(true) : s;
        }
    }
}
