package dev.blip2serve.serve.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.serve.FakeCaptionModel;
import dev.blip2serve.serve.TestProperties;
import dev.blip2serve.serve.batch.BatchJob;
import dev.blip2serve.serve.batch.BatchRefusal;
import dev.blip2serve.serve.batch.BatchScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Closing the application ({@link ModelRegistry#destroy()}) stops admitting, lets every admitted request finish
 * with a caption, and only then closes the model.
 */
class GracefulShutdownTest {

    private static final long BOUND = 30;

    @Test
    void shutdownFinishesAcceptedRequestsBeforeClosingTheModel() throws Exception {
        ModelRegistry registry = new ModelRegistry(
                TestProperties.defaults(Path.of("repo"), "m", "v", List.of()), new SimpleMeterRegistry());
        Variant variant = registry.register(new VariantKey("m", "v"), Path.of("repo/m/v"));
        FakeCaptionModel model = new FakeCaptionModel("m", "v");
        variant.ready(model);
        BatchScheduler scheduler = variant.scheduler();

        model.entered = new CountDownLatch(1);
        model.release = new CountDownLatch(1);
        BatchJob running = submit(scheduler);
        assertThat(model.entered.await(BOUND, TimeUnit.SECONDS)).isTrue();
        model.entered = null;
        BatchJob queued = submit(scheduler);

        Thread closing = Thread.ofPlatform().start(() -> {
            try {
                registry.destroy();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND);
        while (!scheduler.isClosed()) {
            assertThat(System.nanoTime()).isLessThan(end);
            Thread.sleep(5);
        }
        assertThatThrownBy(scheduler::admit).isInstanceOfSatisfying(BatchRefusal.class,
                e -> assertThat(e.reason()).isEqualTo(BatchRefusal.Reason.SHUTTING_DOWN));
        assertThat(model.closed).as("the model stays open while requests run").isFalse();

        model.release.countDown();
        assertThat(running.result().get(BOUND, TimeUnit.SECONDS).captions().best().text()).isEqualTo(FakeCaptionModel.TEXT);
        assertThat(queued.result().get(BOUND, TimeUnit.SECONDS).captions().best().text()).isEqualTo(FakeCaptionModel.TEXT);
        closing.join(TimeUnit.SECONDS.toMillis(BOUND));
        assertThat(closing.isAlive()).isFalse();
        assertThat(model.closed).isTrue();
        assertThat(variant.state()).isEqualTo(VariantState.FAILED);
        assertThat(variant.status().reason()).isEqualTo("service shutting down");
    }

    private static BatchJob submit(BatchScheduler scheduler) {
        return scheduler.submit(scheduler.admit(), new float[] {1, 1, 0}, "", GenerationParams.greedy(4, new int[] {2}, 1),
                System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND), null);
    }
}
