package dev.blip2serve.serve.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.serve.FakeCaptionModel;
import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.model.VariantKey;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The scheduler alone, with a fake engine held inside its first call so that the queue's contents are known:
 * capacity, batching, cancellation and graceful shutdown. No timing assumptions.
 */
class BatchSchedulerTest {

    private static final long BOUND = 30; // seconds to wait for a state, never a latency check

    private final FakeCaptionModel model = new FakeCaptionModel("m", "v");
    private final DistributionSummary sizes = DistributionSummary.builder("sizes").register(new SimpleMeterRegistry());
    // max batch 4, 2 queued, 1 worker: capacity 6
    private final BatchScheduler scheduler = new BatchScheduler(new VariantKey("m", "v"),
            new ServeProperties.Batching(4, Duration.ZERO, 2, 1, Duration.ofSeconds(30), 7, Duration.ofSeconds(30)),
            () -> model, sizes);

    @AfterEach
    void tearDown() throws InterruptedException {
        if (model.release != null) {
            model.release.countDown();
        }
        scheduler.shutdown();
        scheduler.awaitTermination(Duration.ofSeconds(BOUND));
    }

    private BatchJob submit(String prompt) {
        return scheduler.submit(scheduler.admit(), new float[] {1, 2, 0}, prompt,
                GenerationParams.greedy(5, new int[] {2}, 1), System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND), null);
    }

    private BatchJob hold() throws InterruptedException {
        model.entered = new CountDownLatch(1);
        model.release = new CountDownLatch(1);
        BatchJob first = submit("held");
        assertThat(model.entered.await(BOUND, TimeUnit.SECONDS)).isTrue();
        model.entered = null;
        return first;
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited too long").isLessThan(end);
            Thread.sleep(5);
        }
    }

    private static BatchRefusal refusal(BatchJob job) throws InterruptedException {
        try {
            job.result().get(BOUND, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return (BatchRefusal) e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("not completed");
        }
        throw new AssertionError("completed normally");
    }

    @Test
    void shutdownFinishesEveryAdmittedRequestAndRefusesNewOnes() throws Exception {
        List<BatchJob> jobs = new ArrayList<>();
        jobs.add(hold());
        for (int i = 0; i < 5; i++) {
            jobs.add(submit("q" + i));
        }
        assertThat(scheduler.admitted()).isEqualTo(6);
        assertThatThrownBy(scheduler::admit).isInstanceOfSatisfying(BatchRefusal.class, e -> {
            assertThat(e.reason()).isEqualTo(BatchRefusal.Reason.BUSY);
            assertThat(e.retryAfterSeconds()).isEqualTo(7);
            assertThat(e.capacity()).isEqualTo(6);
        });

        scheduler.shutdown();
        assertThatThrownBy(scheduler::admit).isInstanceOfSatisfying(BatchRefusal.class,
                e -> assertThat(e.reason()).isEqualTo(BatchRefusal.Reason.SHUTTING_DOWN));
        model.release.countDown();
        assertThat(scheduler.awaitTermination(Duration.ofSeconds(BOUND))).isTrue();

        for (BatchJob j : jobs) {
            assertThat(j.result()).isCompleted();
            assertThat(j.result().get().captions().best().text()).isEqualTo(FakeCaptionModel.TEXT);
        }
        // 1 held, then the five queued: four (max batch), then one
        assertThat(model.calls).extracting(c -> c.prompts().size()).containsExactly(1, 4, 1);
        assertThat(sizes.count()).isEqualTo(3);
        assertThat(sizes.max()).isEqualTo(4);
        assertThat(jobs.get(1).result().get().batchSize()).isEqualTo(4);
        assertThat(scheduler.admitted()).isZero();
    }

    @Test
    void whatCannotFinishBeforeTheDrainTimeoutIsAnswered503() throws Exception {
        BatchJob held = hold();
        BatchJob queued = submit("queued");
        scheduler.shutdown();
        assertThat(scheduler.awaitTermination(Duration.ZERO)).isFalse();
        assertThat(refusal(queued).reason()).isEqualTo(BatchRefusal.Reason.SHUTTING_DOWN);
        model.release.countDown();
        assertThat(held.result().get(BOUND, TimeUnit.SECONDS).captions()).isNotNull();
        assertThat(model.calls).extracting(c -> c.prompts()).containsExactly(List.of("held"));
    }

    @Test
    void aCancelledQueuedRequestNeverRunsAndFreesItsPlace() throws Exception {
        BatchJob held = hold();
        BatchJob cancelled = submit("cancelled");
        BatchJob kept = submit("kept");
        assertThat(scheduler.admitted()).isEqualTo(3);
        cancelled.cancel();
        assertThat(scheduler.admitted()).isEqualTo(2);
        assertThat(refusal(cancelled).reason()).isEqualTo(BatchRefusal.Reason.DEADLINE_EXCEEDED);
        model.release.countDown();
        assertThat(kept.result().get(BOUND, TimeUnit.SECONDS).batchSize()).isEqualTo(1);
        held.result().get(BOUND, TimeUnit.SECONDS);
        assertThat(model.calls).extracting(c -> c.prompts()).containsExactly(List.of("held"), List.of("kept"));
        waitFor(() -> scheduler.admitted() == 0);
    }

    @Test
    void anEngineFailureFailsItsBatchAndTheWorkerGoesOn() throws Exception {
        model.failWith = new IllegalStateException("boom");
        BatchJob failing = submit("a");
        assertThatThrownBy(() -> failing.result().get(BOUND, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class);
        model.failWith = null;
        assertThat(submit("b").result().get(BOUND, TimeUnit.SECONDS).captions()).isNotNull();
        waitFor(() -> scheduler.admitted() == 0);
    }

    @Test
    void aRequestThatFailsItsBatchFailsAloneAndTheOthersAreAnsweredOnce() throws Exception {
        model.poison = "poison";
        BatchJob held = hold();
        BatchJob poisoned = submit("poison");
        List<Long> streamed = new java.util.concurrent.CopyOnWriteArrayList<>();
        BatchJob streaming = scheduler.submit(scheduler.admit(), new float[] {1, 2, 0}, "streaming",
                GenerationParams.greedy(5, new int[] {2}, 1), System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND),
                streamed::add);
        BatchJob other = submit("other");
        model.release.countDown();

        assertThatThrownBy(() -> poisoned.result().get(BOUND, TimeUnit.SECONDS))
                .hasCauseInstanceOf(IllegalStateException.class);
        assertThat(streaming.result().get(BOUND, TimeUnit.SECONDS).captions().best().text())
                .isEqualTo(FakeCaptionModel.TEXT);
        assertThat(other.result().get(BOUND, TimeUnit.SECONDS).batchSize()).isEqualTo(2);
        held.result().get(BOUND, TimeUnit.SECONDS);
        // the batch of three failed; its halves ran: the poisoned request alone, then the other two together
        assertThat(model.calls).extracting(c -> c.prompts()).containsExactly(List.of("held"),
                List.of("poison", "streaming", "other"), List.of("poison"), List.of("streaming", "other"));
        // the streamed tokens of the failed attempt are not sent again
        assertThat(streamed).containsExactly(10L, 11L, 12L);
        waitFor(() -> scheduler.admitted() == 0 && scheduler.running() == 0);
    }

    @Test
    void aRunningBatchWhoseRequestsAllGaveUpStopsAndIsNotRetried() throws Exception {
        model.entered = new CountDownLatch(1);
        model.release = new CountDownLatch(1);
        BatchJob first = submit("first");
        assertThat(model.entered.await(BOUND, TimeUnit.SECONDS)).isTrue();
        model.entered = null;
        first.cancel(); // its deadline passed or its client left while the batch ran
        model.release.countDown();
        assertThat(refusal(first).reason()).isEqualTo(BatchRefusal.Reason.DEADLINE_EXCEEDED);
        waitFor(() -> scheduler.admitted() == 0 && scheduler.running() == 0);
        assertThat(model.calls).hasSize(1);
        // the worker goes on
        assertThat(submit("next").result().get(BOUND, TimeUnit.SECONDS).captions()).isNotNull();
    }

    @Test
    void aBatchWithOneRequestStillWaitingRunsToTheEnd() throws Exception {
        BatchJob held = hold();
        BatchJob leaving = submit("leaving");
        BatchJob staying = submit("staying");
        model.entered = new CountDownLatch(1);
        CountDownLatch second = new CountDownLatch(1);
        model.release.countDown();
        held.result().get(BOUND, TimeUnit.SECONDS);
        model.release = second;
        assertThat(model.entered.await(BOUND, TimeUnit.SECONDS)).isTrue(); // [leaving, staying] is running
        leaving.cancel();
        second.countDown();
        assertThat(staying.result().get(BOUND, TimeUnit.SECONDS).batchSize()).isEqualTo(2);
    }

    @Test
    void aVariantWithoutAModelAnswers503() throws Exception {
        BatchScheduler unloaded = new BatchScheduler(new VariantKey("m", "gone"),
                new ServeProperties.Batching(2, Duration.ZERO, 0, 1, Duration.ofSeconds(30), 1, Duration.ofSeconds(30)),
                () -> null, sizes);
        try {
            BatchJob job = unloaded.submit(unloaded.admit(), new float[3], "", GenerationParams.greedy(3, new int[] {2}, 1),
                    System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND), null);
            assertThat(refusal(job).reason()).isEqualTo(BatchRefusal.Reason.NOT_LOADED);
        } finally {
            unloaded.shutdown();
            unloaded.awaitTermination(Duration.ofSeconds(BOUND));
        }
    }
}
