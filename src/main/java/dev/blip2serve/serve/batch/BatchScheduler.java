package dev.blip2serve.serve.batch;

import dev.blip2serve.engine.CaptionBatch;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.generation.GenerationStoppedException;
import dev.blip2serve.generation.TokenListener;
import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.model.CaptionModel;
import dev.blip2serve.serve.model.VariantKey;
import io.micrometer.core.instrument.DistributionSummary;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One variant's bounded queue and micro-batcher.
 *
 * <p>Admission ({@link #admit}) never waits: a variant holds at most {@code max-queued + workers * max-batch}
 * requests (waiting, preprocessing or running); one more is refused with 429 and {@code Retry-After}. An admitted
 * request is preprocessed by its own thread and then {@link #submit submitted}. Each worker thread takes the
 * oldest waiting job and every other waiting job with the same generation parameters, up to {@code max-batch},
 * and captions them in one engine call. While the batch is not full and other admitted requests are still being
 * preprocessed, it waits for them up to {@code max-wait} after the oldest job's arrival (no wait once that has
 * passed, as under load, and none for a request that is alone). Jobs whose deadline passed while queued are
 * answered 503 {@code deadline-exceeded} and never run. When a batch fails, it is retried in halves until each
 * failing request is alone, so one request the engine chokes on fails only itself. A running batch whose every
 * request gave up (deadline passed, client gone) stops at its next decoder step.
 *
 * <p>{@link #shutdown()} stops admitting (503) and lets the workers finish every job already admitted;
 * {@link #awaitTermination} waits for that.
 */
public final class BatchScheduler {

    private static final Logger LOG = LoggerFactory.getLogger(BatchScheduler.class);

    private final VariantKey key;
    private final ServeProperties.Batching settings;
    private final Supplier<CaptionModel> model;
    private final DistributionSummary batchSizes;
    private final Semaphore capacity;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // guarded by lock
    private final ArrayDeque<BatchJob> pending = new ArrayDeque<>();
    private final List<Thread> workers = new ArrayList<>();
    private int running;
    private boolean closed;

    /**
     * @param model      the variant's model now; null when it is not loaded (its jobs then fail with 503)
     * @param batchSizes records the size of every batch that runs
     */
    public BatchScheduler(VariantKey key, ServeProperties.Batching settings, Supplier<CaptionModel> model,
                          DistributionSummary batchSizes) {
        this.key = key;
        this.settings = settings;
        this.model = model;
        this.batchSizes = batchSizes;
        this.capacity = new Semaphore(settings.capacity());
    }

    /** A place in the variant's capacity, held from admission until the job finishes (or is never submitted). */
    public final class Ticket implements AutoCloseable {

        private final AtomicBoolean released = new AtomicBoolean();

        private Ticket() {
        }

        /** Gives the place back; idempotent. A submitted job's ticket is closed by the scheduler when it finishes. */
        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                capacity.release();
            }
        }
    }

    /**
     * Takes a place at once or refuses.
     *
     * @throws BatchRefusal {@code BUSY} when the variant is full; {@code SHUTTING_DOWN}
     */
    public Ticket admit() {
        if (isClosed()) {
            throw shuttingDown();
        }
        if (!capacity.tryAcquire()) {
            throw new BatchRefusal(BatchRefusal.Reason.BUSY, key + " is busy: " + settings.capacity()
                    + " requests are queued or running; retry later", settings.retryAfterSeconds(), settings.capacity());
        }
        return new Ticket();
    }

    /**
     * Queues a preprocessed image. The job owns the ticket from here on.
     *
     * @param deadlineNanos {@link System#nanoTime()} by which the request must be answered
     * @param tokens        hears each new token (greedy only), or null
     * @throws BatchRefusal {@code SHUTTING_DOWN} (the ticket stays with the caller)
     */
    public BatchJob submit(Ticket ticket, float[] pixels, String prompt, GenerationParams params, long deadlineNanos,
                           LongConsumer tokens) {
        BatchJob job = new BatchJob(this, pixels, prompt, params, deadlineNanos, tokens, ticket);
        lock.lock();
        try {
            if (closed) {
                throw shuttingDown();
            }
            startWorkers();
            pending.addLast(job);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return job;
    }

    /** Jobs waiting for a batch now. */
    public int queued() {
        lock.lock();
        try {
            return pending.size();
        } finally {
            lock.unlock();
        }
    }

    /** Jobs in a running batch now. */
    public int running() {
        lock.lock();
        try {
            return running;
        } finally {
            lock.unlock();
        }
    }

    /** Requests admitted now: waiting, preprocessing or running. */
    public int admitted() {
        return settings.capacity() - capacity.availablePermits();
    }

    public int capacity() {
        return settings.capacity();
    }

    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Stops admitting; the workers finish every queued job, then end. */
    public void shutdown() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for the workers to finish what was admitted. Jobs still queued when {@code timeout} passes are
     * answered 503 and the method returns false (a running batch is not interrupted).
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        List<Thread> threads;
        lock.lock();
        try {
            threads = List.copyOf(workers);
        } finally {
            lock.unlock();
        }
        boolean done = true;
        for (Thread t : threads) {
            long left = end - System.nanoTime();
            if (left > 0) {
                t.join(Duration.ofNanos(left));
            }
            done &= !t.isAlive();
        }
        if (!done) {
            List<BatchJob> left = new ArrayList<>();
            lock.lock();
            try {
                left.addAll(pending);
                pending.clear();
            } finally {
                lock.unlock();
            }
            for (BatchJob j : left) {
                j.release();
                j.fail(shuttingDown());
            }
        }
        return done;
    }

    BatchRefusal deadlineExceeded() {
        return refusal(BatchRefusal.Reason.DEADLINE_EXCEEDED, key + " did not answer within the request's deadline");
    }

    private BatchRefusal shuttingDown() {
        return refusal(BatchRefusal.Reason.SHUTTING_DOWN, "the service is shutting down");
    }

    private BatchRefusal refusal(BatchRefusal.Reason reason, String detail) {
        return new BatchRefusal(reason, detail, settings.retryAfterSeconds(), 0);
    }

    /** A cancelled job leaves the queue (if it is still there) and frees its place. */
    void withdraw(BatchJob job) {
        boolean removed;
        lock.lock();
        try {
            removed = pending.removeIf(j -> j == job);
        } finally {
            lock.unlock();
        }
        if (removed) {
            job.release();
            job.fail(deadlineExceeded());
        }
    }

    // guarded by lock
    private void startWorkers() {
        if (!workers.isEmpty()) {
            return;
        }
        for (int i = 0; i < settings.workers(); i++) {
            workers.add(Thread.ofPlatform().name("blip2-batch-" + key + "-" + i).daemon(true).start(this::work));
        }
    }

    private void work() {
        while (true) {
            List<BatchJob> batch;
            try {
                batch = next();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (batch == null) {
                return;
            }
            run(batch);
        }
    }

    /** The next batch to run, or null once shut down with nothing left. */
    private List<BatchJob> next() throws InterruptedException {
        List<BatchJob> dead = new ArrayList<>();
        try {
            lock.lock();
            try {
                while (true) {
                    long now = System.nanoTime();
                    pending.removeIf(j -> {
                        boolean gone = j.cancelled() || j.expired(now);
                        if (gone) {
                            dead.add(j);
                        }
                        return gone;
                    });
                    if (pending.isEmpty()) {
                        if (closed) {
                            return null;
                        }
                        if (!dead.isEmpty()) {
                            return List.of(); // answer the dead ones now, outside the lock
                        }
                        changed.await();
                        continue;
                    }
                    BatchJob first = pending.peekFirst();
                    List<BatchJob> batch = new ArrayList<>();
                    for (BatchJob j : pending) {
                        if (batch.size() == settings.maxBatch()) {
                            break;
                        }
                        if (j.compatibleWith(first)) {
                            batch.add(j);
                        }
                    }
                    long wait = first.enqueuedNanos + settings.maxWait().toNanos() - now;
                    // Only requests already admitted (still being preprocessed) can join soon: a request alone is
                    // not kept waiting for company that is not coming.
                    int preparing = admitted() - pending.size() - running;
                    if (batch.size() >= settings.maxBatch() || wait <= 0 || preparing <= 0 || closed) {
                        Set<BatchJob> taken = Collections.newSetFromMap(new IdentityHashMap<>());
                        taken.addAll(batch);
                        pending.removeIf(taken::contains);
                        running += batch.size();
                        return batch;
                    }
                    changed.awaitNanos(wait);
                }
            } finally {
                lock.unlock();
            }
        } finally {
            for (BatchJob j : dead) {
                j.release();
                j.fail(deadlineExceeded());
            }
        }
    }

    private void run(List<BatchJob> batch) {
        if (batch.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        batchSizes.record(batch.size());
        CaptionBatch result = null;
        Throwable failure = null;
        try {
            result = caption(batch);
        } catch (Throwable t) {
            failure = t;
        }
        if (failure instanceof GenerationStoppedException) {
            // every request of the batch gave up while it ran: they were answered already, the rest is moot
            failure = deadlineExceeded();
        }
        if (failure != null && batch.size() > 1 && !(failure instanceof BatchRefusal)) {
            // One bad request must not fail the others: retry in halves until the failing ones are alone.
            LOG.warn("{}: a batch of {} failed ({}); retrying it in halves", key, batch.size(), failure.toString());
            List<BatchJob> live = new ArrayList<>();
            for (BatchJob j : batch) {
                if (j.cancelled()) {
                    finish(j, null, deadlineExceeded());
                } else {
                    j.retrying();
                    live.add(j);
                }
            }
            int half = live.size() / 2;
            run(live.subList(0, half));
            run(live.subList(half, live.size()));
            return;
        }
        if (failure != null && !(failure instanceof BatchRefusal)) {
            LOG.error("{}: a request failed", key, failure);
        }
        for (int i = 0; i < batch.size(); i++) {
            BatchJob j = batch.get(i);
            finish(j, failure != null ? null : new JobResult(result.images().get(i), start - j.enqueuedNanos,
                    result.visionNanos(), result.prefillNanos(), result.decodeNanos(), result.decodeSteps(),
                    batch.size()), failure);
        }
    }

    private CaptionBatch caption(List<BatchJob> batch) {
        CaptionModel m = model.get();
        if (m == null) {
            throw refusal(BatchRefusal.Reason.NOT_LOADED, key + " is not loaded");
        }
        List<float[]> pixels = new ArrayList<>(batch.size());
        List<String> prompts = new ArrayList<>(batch.size());
        for (BatchJob j : batch) {
            pixels.add(j.pixels());
            prompts.add(j.prompt());
        }
        CaptionBatch result = m.caption(pixels, prompts, batch.getFirst().params(), new TokenListener() {
            @Override
            public void onToken(int item, long token) {
                batch.get(item).token(token);
            }

            @Override
            public boolean stopRequested() {
                // Nobody waits any more (deadlines passed, clients gone): free the worker for the queue.
                return batch.stream().allMatch(BatchJob::cancelled);
            }
        });
        if (result.images().size() != batch.size()) {
            throw new IllegalStateException("the engine returned " + result.images().size() + " results for "
                    + batch.size() + " images");
        }
        return result;
    }

    /** Answers one job of a batch that ran. Its place is freed first, so a client's next request finds room. */
    private void finish(BatchJob job, JobResult result, Throwable failure) {
        lock.lock();
        try {
            running--;
        } finally {
            lock.unlock();
        }
        job.release();
        if (failure != null) {
            job.fail(failure);
        } else {
            job.complete(result);
        }
    }
}
