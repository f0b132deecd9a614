package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;

import dev.blip2serve.serve.batch.BatchScheduler;
import dev.blip2serve.serve.web.ProblemType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The bounded queue and micro-batching through the API, made deterministic by holding the fake engine inside its
 * first call while more requests queue up (no timing assumptions): queued requests run as one batch (seen in the
 * {@code blip2_batch_size} metric), a full queue answers 429 with Retry-After, requests with different generation
 * parameters never share a batch, and a request past its deadline is answered 503 and never runs.
 * Capacity here: max batch 4 + 1 queued = 5.
 */
class BatchingApiTest extends FakeServiceTest {

    private static final long BOUND_SECONDS = 30; // how long to wait for a state, never a latency check

    private final ExecutorService clients = Executors.newFixedThreadPool(8);
    private final JsonMapper json = JsonMapper.builder().build();

    @AfterEach
    void stopClients() {
        if (fp32.release != null) {
            fp32.release.countDown();
        }
        clients.shutdownNow();
    }

    private Future<MockHttpServletResponse> send(MockHttpServletRequestBuilder request) {
        return clients.submit(() -> mvc.perform(request).andReturn().getResponse());
    }

    private MockHttpServletRequestBuilder caption(String prompt) {
        return post("/v1/captions").contentType("image/png").content(png).param("prompt", prompt);
    }

    /** Holds the engine inside a call for {@code prompt} until {@code fp32.release} counts down. */
    private Future<MockHttpServletResponse> holdEngine(String prompt) throws Exception {
        fp32.entered = new CountDownLatch(1);
        fp32.release = new CountDownLatch(1);
        Future<MockHttpServletResponse> first = send(caption(prompt));
        assertThat(fp32.entered.await(BOUND_SECONDS, TimeUnit.SECONDS)).as("the engine was entered").isTrue();
        fp32.entered = null;
        return first;
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("gave up waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    private String scrape() throws Exception {
        return mvc.perform(get("/actuator/prometheus")).andReturn().getResponse().getContentAsString();
    }

    @Test
    void queuedRequestsRunAsOneBatchAndAFullQueueIs429() throws Exception {
        BatchScheduler scheduler = variant("fp32").scheduler();
        double multiBefore = Scrape.batchesLargerThanOne(scrape(), "shapes-blip2", "fp32");
        Future<MockHttpServletResponse> first = holdEngine("first");
        List<Future<MockHttpServletResponse>> queued = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            queued.add(send(caption("queued " + i)));
        }
        waitFor(() -> scheduler.queued() == 4, "four requests wait in the queue");
        assertThat(scheduler.admitted()).isEqualTo(scheduler.capacity()).isEqualTo(5);
        String gauges = scrape();
        assertThat(Scrape.value(gauges, "blip2_queue_depth", "precision=\"fp32\"")).isEqualTo(4);
        assertThat(Scrape.value(gauges, "blip2_inflight", "precision=\"fp32\"")).isEqualTo(1);
        assertThat(Scrape.value(gauges, "blip2_queue_capacity", "precision=\"fp32\"")).isEqualTo(5);

        expectProblem(mvc.perform(caption("one too many")), ProblemType.TOO_MANY_REQUESTS, 429)
                .andExpect(header().string("Retry-After", "3"))
                .andExpect(jsonPath("$.capacity").value(5));

        fp32.release.countDown();
        assertThat(first.get(BOUND_SECONDS, TimeUnit.SECONDS).getStatus()).isEqualTo(200);
        for (Future<MockHttpServletResponse> f : queued) {
            MockHttpServletResponse r = f.get(BOUND_SECONDS, TimeUnit.SECONDS);
            assertThat(r.getStatus()).as(r.getContentAsString()).isEqualTo(200);
            JsonNode body = json.readTree(r.getContentAsString());
            assertThat(body.path("batch_size").asInt()).isEqualTo(4);
            assertThat(body.path("captions").get(0).path("text").asString()).isEqualTo(FakeCaptionModel.TEXT);
        }
        // One engine call for the holder, one for the four queued requests (prompts of different lengths are fine).
        assertThat(fp32.calls).hasSize(2);
        assertThat(fp32.calls.get(1).prompts()).containsExactlyInAnyOrder("queued 0", "queued 1", "queued 2", "queued 3");
        assertThat(Scrape.batchesLargerThanOne(scrape(), "shapes-blip2", "fp32")).isGreaterThan(multiBefore);
        waitFor(() -> scheduler.admitted() == 0, "every place is free again");
        // and the variant answers again
        assertThat(send(caption("after")).get(BOUND_SECONDS, TimeUnit.SECONDS).getStatus()).isEqualTo(200);
    }

    @Test
    void differentGenerationParametersNeverShareABatch() throws Exception {
        BatchScheduler scheduler = variant("fp32").scheduler();
        Future<MockHttpServletResponse> first = holdEngine("first");
        List<Future<MockHttpServletResponse>> queued = new ArrayList<>();
        String[][] requests = {{"a", "5"}, {"b", "6"}, {"c", "5"}, {"d", "6"}};
        for (String[] r : requests) {
            queued.add(send(caption(r[0]).param("max_new_tokens", r[1])));
            String prompt = r[0];
            // one at a time, so the queue order is known
            waitFor(() -> scheduler.queued() == queued.size(), "request " + prompt + " is queued");
        }
        fp32.release.countDown();
        first.get(BOUND_SECONDS, TimeUnit.SECONDS);
        for (Future<MockHttpServletResponse> f : queued) {
            assertThat(f.get(BOUND_SECONDS, TimeUnit.SECONDS).getStatus()).isEqualTo(200);
        }
        assertThat(fp32.calls).hasSize(3);
        // The oldest request goes first with every compatible one; the other parameter set is next.
        assertThat(fp32.calls.get(1).prompts()).containsExactly("a", "c");
        assertThat(fp32.calls.get(1).params().maxNewTokens()).isEqualTo(5);
        assertThat(fp32.calls.get(2).prompts()).containsExactly("b", "d");
        assertThat(fp32.calls.get(2).params().maxNewTokens()).isEqualTo(6);
    }

    @Test
    void aRequestPastItsDeadlineIs503AndNeverRuns() throws Exception {
        BatchScheduler scheduler = variant("fp32").scheduler();
        Future<MockHttpServletResponse> first = holdEngine("first");
        // Its deadline passes while the engine is held: answered 503 and taken out of the queue.
        expectProblem(mvc.perform(caption("late").param("deadline_ms", "50")), ProblemType.DEADLINE_EXCEEDED, 503)
                .andExpect(header().string("Retry-After", "3"));
        assertThat(scheduler.queued()).isZero();
        fp32.release.countDown();
        assertThat(first.get(BOUND_SECONDS, TimeUnit.SECONDS).getStatus()).isEqualTo(200);
        waitFor(() -> scheduler.admitted() == 0, "every place is free again");
        assertThat(fp32.calls).extracting(FakeCaptionModel.Call::prompts).noneMatch(p -> p.contains("late"));
        String scrape = scrape();
        assertThat(Scrape.value(scrape, "blip2_caption_latency_seconds_count", "precision=\"fp32\"",
                "outcome=\"unavailable\"")).isPositive();
    }

    @Test
    void deadlineIsValidated() throws Exception {
        expectProblem(mvc.perform(caption("x").param("deadline_ms", "0")), ProblemType.INVALID_PARAMETER, 400)
                .andExpect(jsonPath("$.parameter").value("deadline_ms"));
        expectProblem(mvc.perform(caption("x").param("deadline_ms", "30001")), ProblemType.INVALID_PARAMETER, 400)
                .andExpect(jsonPath("$.maximum").value(30000));
    }
}
