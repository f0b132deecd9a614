package dev.blip2serve.serve.caption;

import dev.blip2serve.engine.CaptionText;
import dev.blip2serve.engine.ImageCaptions;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.image.DecodedImage;
import dev.blip2serve.image.ImageDecoder;
import dev.blip2serve.image.ImageException;
import dev.blip2serve.image.NativeDecoders;
import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.batch.BatchJob;
import dev.blip2serve.serve.batch.BatchRefusal;
import dev.blip2serve.serve.batch.BatchScheduler;
import dev.blip2serve.serve.batch.JobResult;
import dev.blip2serve.serve.caption.CaptionMetrics.Outcome;
import dev.blip2serve.serve.model.CaptionModel;
import dev.blip2serve.serve.model.ModelRegistry;
import dev.blip2serve.serve.model.Variant;
import dev.blip2serve.serve.model.VariantKey;
import dev.blip2serve.serve.model.VariantState;
import dev.blip2serve.serve.web.ApiException;
import dev.blip2serve.serve.web.ProblemType;
import dev.blip2serve.serve.web.Problems;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Service;

/**
 * Captions images with the variants requests name. For each variant: resolve it, take a place in its bounded
 * queue (429 at once when full), decode and preprocess on the request's thread (while holding the place, so the
 * memory of waiting images is bounded too), queue the preprocessed image for the variant's micro-batcher, and wait
 * for the batch until the request's deadline. Records the meters.
 */
@Service
public class CaptionService {

    private static final Logger LOG = LoggerFactory.getLogger(CaptionService.class);

    /** A loading variant is worth retrying soon; this is how soon. */
    private static final int LOADING_RETRY_SECONDS = 5;
    /** A background quantization takes tens of seconds to minutes. */
    private static final int BUILDING_RETRY_SECONDS = 30;

    private final ServeProperties properties;
    private final ModelRegistry registry;
    private final CaptionMetrics metrics;
    private final ImageDecoder decoder;
    /** Decoding and resizing are CPU- and memory-heavy: at most one per core at a time, whatever the queues hold. */
    private final Semaphore imageWork = new Semaphore(Math.max(1, Runtime.getRuntime().availableProcessors()), true);

    public CaptionService(ServeProperties properties, ImageProperties image, ModelRegistry registry,
                          CaptionMetrics metrics) {
        this.properties = properties;
        this.registry = registry;
        this.metrics = metrics;
        this.decoder = image.decoder(properties.limits().maxPixels());
        LOG.info("image decoders: {}", NativeDecoders.summary());
    }

    /** A job in a variant's queue with what the response needs besides the batch's result. */
    private record Submitted(Variant variant, CaptionModel model, BatchJob job, CaptionResponse.Image image,
                             long startNanos, long preprocessNanos, long submittedNanos) {
    }

    // ------------------------------------------------------------------ POST /v1/captions

    public CaptionResponse caption(byte[] image, CaptionOptions options, String requestId) {
        return caption(image, options, Decoding.MOST_LIKELY, CaptionMetrics.Api.CAPTIONS, requestId).response();
    }

    /**
     * How tokens are chosen beyond {@link CaptionOptions}, for the OpenAI-compatible route.
     *
     * @param sampling    null: the most likely token (or beams)
     * @param topLogprobs -1: none; k ≥ 0: each new token's log-probability with the k most likely alternatives
     */
    public record Decoding(dev.blip2serve.generation.Sampling sampling, int topLogprobs) {
        public static final Decoding MOST_LIKELY = new Decoding(null, -1);
    }

    /**
     * A caption with what the engine returned besides the response: token ids and per-token log-probabilities of
     * every n-best caption, and the image query positions the prompt also took.
     */
    public record Captioned(CaptionResponse response, ImageCaptions captions, int queryTokens) {
    }

    /** {@link #caption(byte[], CaptionOptions, String)} choosing tokens as {@code decoding} says, metered as {@code api}. */
    public Captioned caption(byte[] image, CaptionOptions options, Decoding decoding, CaptionMetrics.Api api,
                             String requestId) {
        long start = System.nanoTime();
        Variant variant = resolve(options.model(), options.precision());
        Outcome outcome = Outcome.ERROR;
        try {
            checkSize(image);
            Submitted s = submit(variant, () -> decode(image, variant), options, decoding, start, deadline(start, options), null);
            JobResult r = await(s.job());
            CaptionResponse response = respond(s, options, requestId, r);
            outcome = Outcome.SUCCESS;
            return new Captioned(response, r.captions(), s.model().queryTokens());
        } catch (RuntimeException e) {
            outcome = outcomeOf(e);
            throw e;
        } finally {
            metrics.request(variant.key(), api, outcome, System.nanoTime() - start);
        }
    }

    // ------------------------------------------------------------------ POST /v1/captions:compare

    /**
     * The same image with each variant, one after the other (so their timings do not compete with each other),
     * all within the request's one deadline. A variant that cannot answer (loading, failed, busy, past the
     * deadline) gets its problem in its result; the others still answer.
     */
    public CompareResponse compare(byte[] image, CompareOptions compare, String requestId, String path) {
        long start = System.nanoTime();
        CaptionOptions options = compare.options();
        List<Variant> variants = variantsToCompare(options.model(), compare.precisions());
        checkSize(image);
        long deadline = deadline(start, options);
        DecodedImage decoded;
        long decodeNanos;
        try {
            long t0 = System.nanoTime();
            decoded = decode(image, variants.getFirst()); // one model: one preprocessing size
            decodeNanos = System.nanoTime() - t0;
        } catch (RuntimeException e) {
            for (Variant v : variants) {
                metrics.request(v.key(), outcomeOf(e), System.nanoTime() - start);
            }
            throw e;
        }
        List<CompareResponse.Result> results = new ArrayList<>();
        for (Variant v : variants) {
            long vStart = System.nanoTime();
            Outcome outcome = Outcome.ERROR;
            try {
                // The image was decoded once for all: each result counts that time in its preprocess and total.
                Submitted s = submit(v, () -> decoded, options, Decoding.MOST_LIKELY, vStart - decodeNanos, deadline, null);
                s = new Submitted(s.variant(), s.model(), s.job(), s.image(), s.startNanos(),
                        s.preprocessNanos() + decodeNanos, s.submittedNanos());
                results.add(CompareResponse.Result.of(respond(s, options, requestId, await(s.job()))));
                outcome = Outcome.SUCCESS;
            } catch (RuntimeException e) {
                outcome = outcomeOf(e);
                logUnexpected(e);
                results.add(CompareResponse.Result.failed(v.key().variant(), Problems.of(e, requestId, path)));
            } finally {
                metrics.request(v.key(), outcome, System.nanoTime() - vStart);
            }
        }
        return new CompareResponse(requestId, options.model(), meta(decoded), results);
    }

    /** Named variants (404 for a name that does not exist), or every ready variant of the model. */
    private List<Variant> variantsToCompare(String model, List<String> precisions) {
        if (!registry.hasModel(model)) {
            throw unknownModel(model);
        }
        if (!precisions.isEmpty()) {
            return precisions.stream().map(p -> resolve(model, p)).toList();
        }
        List<Variant> ready = registry.all().stream()
                .filter(v -> v.key().model().equals(model) && v.state() == VariantState.READY).toList();
        if (ready.isEmpty()) {
            throw new ApiException(ProblemType.VARIANT_UNAVAILABLE, "no variant of '" + model + "' is ready yet")
                    .retryAfter(LOADING_RETRY_SECONDS);
        }
        return ready;
    }

    // ------------------------------------------------------------------ POST /v1/captions:stream

    /**
     * Starts a streamed caption. Everything that can be refused (unknown variant, bad parameters, a full queue, an
     * undecodable image) throws here, before any event, so the client gets an ordinary problem response; after
     * that every outcome is an event.
     */
    public void stream(byte[] image, CaptionOptions options, String requestId, String path, CaptionEvents events) {
        stream(image, options, Decoding.MOST_LIKELY, CaptionMetrics.Api.CAPTIONS, requestId, path, events);
    }

    /** {@link #stream(byte[], CaptionOptions, String, String, CaptionEvents)} choosing tokens as {@code decoding} says. */
    public void stream(byte[] image, CaptionOptions options, Decoding decoding, CaptionMetrics.Api api, String requestId,
                       String path, CaptionEvents events) {
        long start = System.nanoTime();
        Variant variant = resolve(options.model(), options.precision());
        long deadline = deadline(start, options);
        TokenStream stream = new TokenStream(events, options.maxNewTokens());
        Submitted s;
        try {
            checkSize(image);
            s = submit(variant, () -> decode(image, variant), options, decoding, start, deadline, stream::token);
        } catch (RuntimeException e) {
            metrics.request(variant.key(), api, outcomeOf(e), System.nanoTime() - start);
            throw e;
        }
        stream.open(s.model(), s.job(), new CaptionEvents.Start(requestId, variant.key().model(),
                variant.key().variant(), s.image(), options.numBeams() == 1));
        s.job().result().orTimeout(Math.max(0, s.job().remainingNanos()), TimeUnit.NANOSECONDS).whenComplete((r, t) -> {
            Outcome outcome = Outcome.ERROR;
            try {
                if (t == null) {
                    stream.finish(new Captioned(respond(s, options, requestId, r), r.captions(), s.model().queryTokens()));
                    outcome = Outcome.SUCCESS;
                    return;
                }
                Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
                if (cause instanceof TimeoutException) {
                    s.job().cancel();
                    cause = new ApiException(ProblemType.DEADLINE_EXCEEDED, variant.key()
                            + " did not answer within the request's deadline")
                            .retryAfter(properties.batching().retryAfterSeconds());
                } else if (cause instanceof BatchRefusal refusal) {
                    cause = ApiException.refused(refusal);
                }
                outcome = outcomeOf(cause);
                logUnexpected(cause);
                ProblemDetail problem = Problems.of(cause, requestId, path);
                stream.fail(problem);
            } catch (RuntimeException e) {
                LOG.error("streaming the result failed", e);
                stream.fail(Problems.of(e, requestId, path));
            } finally {
                metrics.request(variant.key(), api, outcome, System.nanoTime() - start);
            }
        });
    }

    // ------------------------------------------------------------------ frames of a live session (/v1/live)

    /**
     * Refuses, before a live session starts, what would refuse each of its frames: an unknown model or precision
     * (404), and, when the variant is ready, a prompt that leaves no room for the new tokens (400). A variant that is
     * still loading is not refused here: its frames are answered with the problem until it is ready.
     *
     * @return the variant the session's frames go to
     */
    public VariantKey checkLive(CaptionOptions options) {
        Variant variant = resolve(options.model(), options.precision());
        Variant.Status status = variant.status();
        if (status.state() == VariantState.READY) {
            checkContext(status.model(), options);
        }
        return variant.key();
    }

    /**
     * Decodes one frame with the same limits and decoding permits as a request's image.
     *
     * @throws ImageException the bytes are not a usable image
     * @throws ApiException   413 when the frame is larger than {@code blip2.limits.max-body-bytes}
     */
    public DecodedImage decodeFrame(byte[] image) {
        checkSize(image);
        return decode(image, null);
    }

    /**
     * Captions an already decoded frame through the variant's queue and micro-batcher, exactly as
     * {@code POST /v1/captions} would (same meters, same problems); {@code decodeNanos} counts in its preprocess and
     * total, which start {@code decodeNanos} before this call.
     */
    public CaptionResponse caption(DecodedImage decoded, long decodeNanos, CaptionOptions options, String requestId) {
        long start = System.nanoTime() - decodeNanos;
        Variant variant = resolve(options.model(), options.precision());
        Outcome outcome = Outcome.ERROR;
        try {
            Submitted s = submit(variant, () -> decoded, options, Decoding.MOST_LIKELY, start, deadline(start, options),
                    null);
            s = new Submitted(s.variant(), s.model(), s.job(), s.image(), s.startNanos(),
                    s.preprocessNanos() + decodeNanos, s.submittedNanos());
            CaptionResponse response = respond(s, options, requestId, await(s.job()));
            outcome = Outcome.SUCCESS;
            return response;
        } catch (RuntimeException e) {
            outcome = outcomeOf(e);
            logUnexpected(e);
            throw e;
        } finally {
            metrics.request(variant.key(), CaptionMetrics.Api.LIVE, outcome, System.nanoTime() - start);
        }
    }

    // ------------------------------------------------------------------ shared

    /**
     * Takes a place in the variant's queue, decodes and preprocesses, and queues the job. The place is given back
     * if anything fails before the job is queued.
     */
    private Submitted submit(Variant variant, Supplier<DecodedImage> image, CaptionOptions options, Decoding decoding,
                             long start, long deadline, LongConsumer tokens) {
        CaptionModel model = ready(variant);
        checkContext(model, options);
        BatchScheduler scheduler = variant.scheduler();
        BatchScheduler.Ticket ticket;
        try {
            ticket = scheduler.admit();
        } catch (BatchRefusal r) {
            throw ApiException.refused(r);
        }
        try {
            long t0 = System.nanoTime();
            DecodedImage decoded = image.get();
            float[] pixels = withImageWork(() -> model.preprocess(decoded));
            long preprocess = System.nanoTime() - t0;
            GenerationParams params = model.generationParams(options.generationRequest())
                    .withSampling(decoding.sampling(), decoding.topLogprobs());
            long submitted = System.nanoTime();
            BatchJob job = scheduler.submit(ticket, pixels, options.prompt(), params, deadline, tokens);
            return new Submitted(variant, model, job, meta(decoded), start, preprocess, submitted);
        } catch (BatchRefusal r) {
            ticket.close();
            throw ApiException.refused(r);
        } catch (RuntimeException | Error e) {
            ticket.close();
            throw e;
        }
    }

    private JobResult await(BatchJob job) {
        try {
            return job.await();
        } catch (BatchRefusal r) {
            throw ApiException.refused(r);
        } catch (InterruptedException e) {
            job.cancel();
            Thread.currentThread().interrupt();
            throw ApiException.shuttingDown(properties.batching().retryAfterSeconds());
        }
    }

    private CaptionResponse respond(Submitted s, CaptionOptions options, String requestId, JobResult r) {
        long total = System.nanoTime() - s.startNanos();
        ImageCaptions result = r.captions();
        int generated = result.best().tokens().length;
        var key = s.variant().key();
        metrics.stage(key, "queue", r.queueNanos());
        metrics.stage(key, "preprocess", s.preprocessNanos());
        metrics.stage(key, "vision", r.visionNanos());
        metrics.stage(key, "prefill", r.prefillNanos());
        metrics.stage(key, "decode", r.decodeNanos());
        long firstToken = s.submittedNanos() - s.startNanos() + r.queueNanos() + r.visionNanos() + r.prefillNanos();
        metrics.tokens(key, generated, firstToken, r.decodeNanos(), r.decodeSteps());

        List<CaptionResponse.Caption> captions = result.captions().stream()
                .map((CaptionText c) -> new CaptionResponse.Caption(c.text(), c.logprob())).toList();
        return new CaptionResponse(requestId, key.model(), key.variant(), captions, s.image(),
                new CaptionResponse.Tokens(result.promptTokens(), generated),
                CaptionResponse.Timings.ofNanos(r.queueNanos(), s.preprocessNanos(), r.visionNanos(), r.prefillNanos(),
                        r.decodeNanos(), total), r.batchSize());
    }

    /**
     * With DCT scaling on (blip2.image.dct-scaling), a JPEG is decoded no smaller than the variant's input; live
     * frames ({@code variant} null) always take the exact path.
     */
    private DecodedImage decode(byte[] image, Variant variant) {
        CaptionModel model = decoder.dctScaling() && variant != null ? variant.status().model() : null;
        int[] min = model == null ? new int[2] : model.resizeTarget().orElse(new int[2]);
        return withImageWork(() -> decoder.decode(image, min[0], min[1]));
    }

    private <T> T withImageWork(Supplier<T> work) {
        try {
            imageWork.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.shuttingDown(properties.batching().retryAfterSeconds());
        }
        try {
            return work.get();
        } finally {
            imageWork.release();
        }
    }

    private static CaptionResponse.Image meta(DecodedImage d) {
        return new CaptionResponse.Image(d.width(), d.height(), d.format());
    }

    private void checkSize(byte[] image) {
        long limit = properties.limits().maxBodyBytes().toBytes();
        if (image.length > limit) {
            throw ApiException.tooLarge("the image", limit);
        }
    }

    private static long deadline(long start, CaptionOptions options) {
        return start + TimeUnit.MILLISECONDS.toNanos(options.deadlineMs());
    }

    private static Outcome outcomeOf(Throwable e) {
        if (e instanceof ApiException a) {
            return switch (a.type()) {
                case TOO_MANY_REQUESTS -> Outcome.REJECTED;
                case VARIANT_UNAVAILABLE, SERVICE_UNAVAILABLE, DEADLINE_EXCEEDED -> Outcome.UNAVAILABLE;
                default -> a.type().status().is4xxClientError() ? Outcome.CLIENT_ERROR : Outcome.ERROR;
            };
        }
        return e instanceof ImageException ? Outcome.CLIENT_ERROR : Outcome.ERROR;
    }

    private static void logUnexpected(Throwable e) {
        if (!(e instanceof ApiException) && !(e instanceof ImageException)) {
            LOG.error("captioning failed", e);
        }
    }

    /** Unknown names are 404s that list what exists, so a client can correct itself. */
    private Variant resolve(String model, String precision) {
        return registry.find(model, precision).orElseThrow(() -> {
            if (!registry.hasModel(model)) {
                return unknownModel(model);
            }
            List<String> names = registry.variantNames(model);
            return new ApiException(ProblemType.UNKNOWN_PRECISION, "no precision '" + precision + "' for model '" + model
                    + "'; available: " + String.join(", ", names)).with("available", names);
        });
    }

    private ApiException unknownModel(String model) {
        List<String> models = registry.all().stream().map(v -> v.key().model()).distinct().toList();
        return new ApiException(ProblemType.UNKNOWN_MODEL, "no model '" + model + "'; available: "
                + String.join(", ", models)).with("available", models);
    }

    private static CaptionModel ready(Variant variant) {
        Variant.Status s = variant.status();
        return switch (s.state()) {
            case READY -> s.model();
            case LOADING -> throw new ApiException(ProblemType.VARIANT_UNAVAILABLE, variant.key() + " is still loading ("
                    + s.detail() + ")").with("state", "loading").retryAfter(LOADING_RETRY_SECONDS);
            case BUILDING -> throw new ApiException(ProblemType.VARIANT_UNAVAILABLE, variant.key() + " is being built ("
                    + s.detail() + ")").with("state", "building").retryAfter(BUILDING_RETRY_SECONDS);
            case FAILED -> throw new ApiException(ProblemType.VARIANT_UNAVAILABLE, variant.key() + " failed to load: "
                    + s.reason()).with("state", "failed");
        };
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
