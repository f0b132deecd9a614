package dev.blip2serve.serve.batch;

import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.generation.Sampling;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;

/**
 * One request in a variant's queue: a preprocessed image, its prompt and generation parameters, its deadline,
 * and the future its result arrives in. Made by {@link BatchScheduler#submit}.
 */
public final class BatchJob {

    /**
     * What must be equal for requests to share a batch: every generation parameter. (The engine pads prompts of
     * different lengths, so prompts may differ.)
     */
    record Compatibility(int maxNewTokens, int minNewTokens, int numBeams, int numReturn, double lengthPenalty,
                         double repetitionPenalty, List<Integer> eos, int pad, Sampling sampling, int topLogprobs) {

        static Compatibility of(GenerationParams p) {
            return new Compatibility(p.maxNewTokens(), p.minNewTokens(), p.numBeams(), p.numReturn(), p.lengthPenalty(),
                    p.repetitionPenalty(), Arrays.stream(p.eosTokenIds()).boxed().toList(), p.padTokenId(), p.sampling(),
                    p.topLogprobs());
        }
    }

    private final BatchScheduler scheduler;
    private final float[] pixels;
    private final String prompt;
    private final GenerationParams params;
    private final Compatibility compatibility;
    private final long deadlineNanos;
    private final LongConsumer tokens;
    private final BatchScheduler.Ticket ticket;
    private final CompletableFuture<JobResult> result = new CompletableFuture<>();
    private final AtomicBoolean cancelled = new AtomicBoolean();
    // Written by the one worker thread that runs the job: tokens passed on so far, and this attempt's position.
    private int streamed;
    private int position;
    final long enqueuedNanos = System.nanoTime();

    BatchJob(BatchScheduler scheduler, float[] pixels, String prompt, GenerationParams params, long deadlineNanos,
             LongConsumer tokens, BatchScheduler.Ticket ticket) {
        this.scheduler = scheduler;
        this.pixels = pixels;
        this.prompt = prompt;
        this.params = params;
        this.compatibility = Compatibility.of(params);
        this.deadlineNanos = deadlineNanos;
        this.tokens = tokens;
        this.ticket = ticket;
    }

    float[] pixels() {
        return pixels;
    }

    String prompt() {
        return prompt;
    }

    GenerationParams params() {
        return params;
    }

    boolean compatibleWith(BatchJob other) {
        return compatibility.equals(other.compatibility);
    }

    boolean expired(long now) {
        return now - deadlineNanos >= 0;
    }

    boolean cancelled() {
        return cancelled.get();
    }

    /**
     * Passes a new token on to the request (streaming); a listener that throws does not stop the batch. After a
     * {@link #retrying() retry} the tokens already passed on are not sent again.
     */
    void token(long token) {
        if (++position <= streamed) {
            return;
        }
        streamed = position;
        if (tokens != null && !cancelled.get()) {
            try {
                tokens.accept(token);
            } catch (RuntimeException e) {
                // the stream is gone; the batch goes on
            }
        }
    }

    /** The job's batch failed and it runs again, in a smaller batch. */
    void retrying() {
        position = 0;
    }

    /** Frees the job's place in the variant's capacity; idempotent. */
    void release() {
        ticket.close();
    }

    void complete(JobResult r) {
        result.complete(r);
    }

    void fail(Throwable t) {
        result.completeExceptionally(t);
    }

    /** Completes when the batch ran: the result, or the failure (a {@link BatchRefusal} where the queue refused). */
    public CompletableFuture<JobResult> result() {
        return result;
    }

    /**
     * The request gave up (deadline passed, client gone): a queued job leaves the queue and never runs; a running
     * one finishes and its result is dropped.
     */
    public void cancel() {
        if (cancelled.compareAndSet(false, true)) {
            scheduler.withdraw(this);
        }
    }

    /** Nanoseconds until the deadline (negative once it passed). */
    public long remainingNanos() {
        return deadlineNanos - System.nanoTime();
    }

    /**
     * Waits for the result until the deadline.
     *
     * @throws BatchRefusal {@code DEADLINE_EXCEEDED} (the job is cancelled), or what the batch failed with
     */
    public JobResult await() throws InterruptedException {
        try {
            return result.get(Math.max(0, remainingNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            cancel();
            throw scheduler.deadlineExceeded();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("captioning failed", cause);
        }
    }
}
