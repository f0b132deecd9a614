package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A bounded load test on loopback against the real engine: more concurrent clients than a variant holds (capacity
 * here: 4 running + 4 queued = 8). Counts, not times: every request is answered, each answer is a 200 or a 429/503
 * with {@code Retry-After}, and the batch-size metric shows batches of more than one request.
 */
class LoadTest extends RealServiceTest {

    private static final int CLIENTS = 24;
    private static final int REQUESTS_PER_CLIENT = 4;

    @Test
    void clientsBeyondCapacityGetAnswersOrRetryAfterAndRequestsAreBatched() throws Exception {
        byte[] png = Files.readAllBytes(IMAGE);
        double batchedBefore = Scrape.batchesLargerThanOne(get("/actuator/prometheus").body(), "shapes-blip2", "fp32");

        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Void>> clients = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(CLIENTS)) {
            for (int c = 0; c < CLIENTS; c++) {
                // Half the clients ask a question: prompts of different lengths share batches.
                String query = c % 2 == 0 ? "/v1/captions?precision=fp32&max_new_tokens=12"
                        : "/v1/captions?precision=fp32&max_new_tokens=12&prompt=Question:%20what%20shape%3F%20Answer:";
                clients.add(CompletableFuture.runAsync(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < REQUESTS_PER_CLIENT; i++) {
                            HttpResponse<String> r = http.send(postPng(query, png).timeout(Duration.ofMinutes(2)).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            statuses.computeIfAbsent(r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                            boolean ok = r.statusCode() == 200;
                            boolean retry = (r.statusCode() == 429 || r.statusCode() == 503)
                                    && r.headers().firstValue("Retry-After").isPresent()
                                    && r.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json");
                            if (!ok && !retry) {
                                violations.add(r.statusCode() + " " + r.headers().map() + " " + r.body());
                            }
                        }
                    } catch (Exception e) {
                        violations.add("no answer: " + e);
                    }
                }, pool));
            }
            start.countDown();
            CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
        }

        Map<Integer, Integer> counts = new TreeMap<>();
        statuses.forEach((k, v) -> counts.put(k, v.get()));
        System.out.println("load test: " + CLIENTS + " clients x " + REQUESTS_PER_CLIENT + " requests, statuses " + counts);
        assertThat(violations).isEmpty();
        assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(CLIENTS * REQUESTS_PER_CLIENT);
        assertThat(counts.keySet()).isSubsetOf(200, 429, 503);
        assertThat(counts.getOrDefault(200, 0)).isPositive();

        String scrape = get("/actuator/prometheus").body();
        assertThat(Scrape.batchesLargerThanOne(scrape, "shapes-blip2", "fp32")).as("batches of more than one request")
                .isGreaterThan(batchedBefore);
        // Everything admitted was answered: nothing is left queued or running.
        assertThat(Scrape.value(scrape, "blip2_queue_depth", "precision=\"fp32\"", "model=\"shapes-blip2\"")).isZero();
        assertThat(Scrape.value(scrape, "blip2_inflight", "precision=\"fp32\"", "model=\"shapes-blip2\"")).isZero();
    }
}
