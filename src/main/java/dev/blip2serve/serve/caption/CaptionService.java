package dev.blip2serve.serve.caption;

import dev.blip2serve.engine.CaptionBatch;
import dev.blip2serve.engine.CaptionText;
import dev.blip2serve.engine.ImageCaptions;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.image.DecodedImage;
import dev.blip2serve.image.ImageDecoder;
import dev.blip2serve.image.ImageException;
import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.caption.CaptionMetrics.Outcome;
import dev.blip2serve.serve.model.CaptionModel;
import dev.blip2serve.serve.model.ModelRegistry;
import dev.blip2serve.serve.model.Variant;
import dev.blip2serve.serve.web.ApiException;
import dev.blip2serve.serve.web.ProblemType;
import java.util.List;
import org.springframework.stereotype.Service;

/**
 * Captions one image with the variant a request names: resolves the variant, takes one of its slots (429 when
 * none frees up in time), decodes and preprocesses inside the slot (so concurrent huge images cannot exhaust the
 * heap), runs the engine, and records the meters. One request is one engine call for now; micro-batching of
 * concurrent requests per variant comes later.
 */
@Service
public class CaptionService {

    /** A loading variant is worth retrying soon; this is how soon. */
    private static final int LOADING_RETRY_SECONDS = 5;

    private final ServeProperties properties;
    private final ModelRegistry registry;
    private final CaptionMetrics metrics;
    private final ImageDecoder decoder;

    public CaptionService(ServeProperties properties, ModelRegistry registry, CaptionMetrics metrics) {
        this.properties = properties;
        this.registry = registry;
        this.metrics = metrics;
        this.decoder = new ImageDecoder(properties.limits().maxPixels(), true);
    }

    public CaptionResponse caption(byte[] image, CaptionOptions options, String requestId) {
        long start = System.nanoTime();
        Variant variant = resolve(options.model(), options.precision());
        Outcome outcome = Outcome.ERROR;
        try {
            CaptionModel model = ready(variant);
            if (image.length > properties.limits().maxBodyBytes().toBytes()) {
                throw ApiException.tooLarge("the image", properties.limits().maxBodyBytes().toBytes());
            }
            long queue = acquire(variant);
            try {
                CaptionResponse response = run(variant, model, image, options, requestId, start, queue);
                outcome = Outcome.SUCCESS;
                return response;
            } finally {
                variant.release();
            }
        } catch (ApiException e) {
            outcome = switch (e.type()) {
                case TOO_MANY_REQUESTS -> Outcome.REJECTED;
                case VARIANT_UNAVAILABLE, SERVICE_UNAVAILABLE -> Outcome.UNAVAILABLE;
                default -> e.type().status().is4xxClientError() ? Outcome.CLIENT_ERROR : Outcome.ERROR;
            };
            throw e;
        } catch (ImageException e) {
            outcome = Outcome.CLIENT_ERROR;
            throw e;
        } finally {
            metrics.request(variant.key(), outcome, System.nanoTime() - start);
        }
    }

    private CaptionResponse run(Variant variant, CaptionModel model, byte[] image, CaptionOptions options,
                                String requestId, long start, long queueNanos) {
        long t0 = System.nanoTime();
        DecodedImage decoded = decoder.decode(image);
        float[] pixels = model.preprocess(decoded);
        long preprocessNanos = System.nanoTime() - t0;

        checkContext(model, options);
        GenerationParams params = new GenerationParams(options.maxNewTokens(), options.minNewTokens(), options.numBeams(),
                options.numCaptions(), 1.0, options.repetitionPenalty(), model.eosTokenIds(), model.padTokenId());
        CaptionBatch batch = model.caption(List.of(pixels), List.of(options.prompt()), params);
        long total = System.nanoTime() - start;

        ImageCaptions result = batch.images().getFirst();
        int generated = result.best().tokens().length;
        var key = variant.key();
        metrics.stage(key, "queue", queueNanos);
        metrics.stage(key, "preprocess", preprocessNanos);
        metrics.stage(key, "vision", batch.visionNanos());
        metrics.stage(key, "prefill", batch.prefillNanos());
        metrics.stage(key, "decode", batch.decodeNanos());
        metrics.tokens(key, generated, queueNanos + preprocessNanos + batch.visionNanos() + batch.prefillNanos(),
                batch.decodeNanos(), batch.decodeSteps());

        List<CaptionResponse.Caption> captions = result.captions().stream()
                .map((CaptionText c) -> new CaptionResponse.Caption(c.text(), c.logprob())).toList();
        return new CaptionResponse(requestId, key.model(), key.variant(), captions,
                new CaptionResponse.Image(decoded.width(), decoded.height(), decoded.format()),
                new CaptionResponse.Tokens(result.promptTokens(), generated),
                CaptionResponse.Timings.ofNanos(queueNanos, preprocessNanos, batch.visionNanos(), batch.prefillNanos(),
                        batch.decodeNanos(), total));
    }

    /** Unknown names are 404s that list what exists, so a client can correct itself. */
    private Variant resolve(String model, String precision) {
        return registry.find(model, precision).orElseThrow(() -> {
            if (!registry.hasModel(model)) {
                List<String> models = registry.all().stream().map(v -> v.key().model()).distinct().toList();
                return new ApiException(ProblemType.UNKNOWN_MODEL, "no model '" + model + "'; available: "
                        + String.join(", ", models)).with("available", models);
            }
            List<String> names = registry.variantNames(model);
            return new ApiException(ProblemType.UNKNOWN_PRECISION, "no precision '" + precision + "' for model '" + model
                    + "'; available: " + String.join(", ", names)).with("available", names);
        });
    }

    private static CaptionModel ready(Variant variant) {
        Variant.Status s = variant.status();
        return switch (s.state()) {
            case READY -> s.model();
            case LOADING -> throw new ApiException(ProblemType.VARIANT_UNAVAILABLE, variant.key() + " is still loading ("
                    + s.detail() + ")").with("state", "loading").retryAfter(LOADING_RETRY_SECONDS);
            case FAILED -> throw new ApiException(ProblemType.VARIANT_UNAVAILABLE, variant.key() + " failed to load: "
                    + s.reason()).with("state", "failed");
        };
    }

    /** Waits for a slot; returns the nanoseconds waited. */
    private long acquire(Variant variant) {
        ServeProperties.Concurrency c = properties.concurrency();
        long t0 = System.nanoTime();
        boolean got;
        try {
            got = variant.tryAcquire(c.maxQueueWait());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(ProblemType.SERVICE_UNAVAILABLE, "the service is shutting down");
        }
        if (!got) {
            throw new ApiException(ProblemType.TOO_MANY_REQUESTS, variant.key() + " is busy ("
                    + c.maxInFlight() + " requests running); retry later").retryAfter(c.retryAfterSeconds());
        }
        return System.nanoTime() - t0;
    }

    /** Image queries + prompt + new tokens must fit the decoder's learned positions. */
    private static void checkContext(CaptionModel model, CaptionOptions options) {
        int prompt = model.promptTokens(options.prompt());
        int needed = model.queryTokens() + prompt + options.maxNewTokens();
        if (needed > model.maxPositions()) {
            throw ApiException.invalidParameter("max_new_tokens", "the prompt takes " + prompt + " tokens; with "
                    + model.queryTokens() + " image queries and max_new_tokens " + options.maxNewTokens()
                    + " that is " + needed + " positions, more than the model's " + model.maxPositions());
        }
    }
}
