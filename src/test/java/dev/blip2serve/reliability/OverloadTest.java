package dev.blip2serve.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;

/**
 * Issue 8, item 3 (overload and soak), against the real service of {@link ReliabilityService} (loopback only):
 * {@code 2 x capacity} closed-loop clients (capacity = {@code max-queued + workers * max-batch}, 12 with the
 * reliability properties) send captions with a per-request {@code deadline_ms} (3 s; one client in four 300 ms, so
 * that 503 {@code deadline-exceeded} happens too) for a bounded time, resending at once whatever the answer (no
 * back-off, so the queue stays full). Asserted:
 * <ul>
 * <li>every answer is 200, 429 or 503, and every 429/503 has {@code Retry-After};</li>
 * <li>every request sent is answered (no client timeout, no I/O error);</li>
 * <li>the p99 latency of the accepted (200) requests, per deadline, is within that deadline plus a fixed allowance for
 * HTTP and the client. This is a <b>contract check on the deadline</b> (the service must not answer 200 later than
 * it promised), not a speed assertion: a slow machine gives more 503 {@code deadline-exceeded}, not a failure;</li>
 * <li>live threads and used heap after GC at the end are within a bound of those after a warm-up at the same load
 * (same JVM as the service).</li>
 * </ul>
 * Duration: {@code -Dblip2.overload.seconds} (default 60 s, the run, in every build; the 10-minute soak is
 * {@code -Dblip2.overload.seconds=600}). The figures go to
 * {@code <build dir>/reliability/overload-results.md}; docs/reliability/overload.md holds a copy of a run.
 */
class OverloadTest extends ReliabilityService {

    static final int SECONDS = Integer.getInteger("blip2.overload.seconds", 60);
    static final int WARM_UP_SECONDS = Integer.getInteger("blip2.overload.warm-up-seconds", 5);
    /** The per-request deadline sent as {@code deadline_ms}. */
    static final long DEADLINE_MS = Long.getLong("blip2.overload.deadline-ms", 3000);
    /** Added to the deadline for HTTP, the client and scheduling on a busy 2-core machine; not a speed target. */
    static final long HTTP_ALLOWANCE_MS = 1500;
    /** One client in four sends this tighter deadline, so that 503 {@code deadline-exceeded} is exercised too. */
    static final long TIGHT_DEADLINE_MS = Math.max(1, DEADLINE_MS / 10);
    static final long HEAP_GROWTH_BOUND = 64L << 20;
    static final int THREAD_GROWTH_BOUND = 16;

    @Autowired
    Environment env;

    @Test
    void twiceTheCapacityIsAnsweredWithin200Or429Or503AndNothingLeaks() throws Exception {
        int maxQueued = env.getRequiredProperty("blip2.batching.max-queued", Integer.class);
        int workers = env.getRequiredProperty("blip2.batching.workers", Integer.class);
        int maxBatch = env.getRequiredProperty("blip2.batching.max-batch", Integer.class);
        int capacity = maxQueued + workers * maxBatch;
        int clients = 2 * capacity;
        byte[] png = BadInputFiles.read(BadInputFiles.EVAL_PNG);

        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).executor(pool).build()) {
            // Warm-up at the same load: Tomcat's worker threads and the client's connections grow to it first.
            drive(client, png, clients, WARM_UP_SECONDS, new Run());
            Thread.sleep(1000);
            long heapBefore = usedHeapAfterGc();
            int threadsBefore = liveThreads();

            Run run = new Run();
            long started = System.nanoTime();
            drive(client, png, clients, SECONDS, run);
            double elapsed = (System.nanoTime() - started) / 1e9;

            Thread.sleep(2000);
            long heapAfter = usedHeapAfterGc();
            int threadsAfter = liveThreads();

            List<Long> accepted = new ArrayList<>(run.acceptedMs);
            List<Long> tight = new ArrayList<>(run.acceptedTightMs);
            Collections.sort(tight);
            long tightP99 = percentile(tight, 0.99);
            Collections.sort(accepted);
            long p50 = percentile(accepted, 0.50);
            long p99 = percentile(accepted, 0.99);
            long max = accepted.isEmpty() ? 0 : accepted.getLast();
            String summary = summary(capacity, clients, elapsed, run, accepted.size(), p50, p99, max,
                    heapBefore, heapAfter, threadsBefore, threadsAfter)
                    + String.format("| accepted with deadline_ms %d: count, p50, p99 (ms) | %d, %d, %d |%n",
                            TIGHT_DEADLINE_MS, tight.size(), percentile(tight, 0.50), tightP99);
            System.out.println(summary);
            write(summary);

            assertThat(run.errors).as("client errors/timeouts").isEmpty();
            assertThat(run.answered.get()).as("answered == sent").isEqualTo(run.sent.get());
            assertThat(run.statuses.keySet()).as("statuses").isSubsetOf(200, 429, 503);
            assertThat(run.withoutRetryAfter.get()).as("429/503 without Retry-After").isZero();
            assertThat(run.badBodies.get()).as("200 without a caption").isZero();
            assertThat(run.statuses.getOrDefault(200, new AtomicLong()).get()).as("accepted").isPositive();
            assertThat(run.statuses.getOrDefault(429, new AtomicLong()).get()).as("rejected: the load was over capacity").isPositive();
            assertThat(p99).as("accepted p99 (ms) within deadline_ms + HTTP allowance")
                    .isLessThanOrEqualTo(DEADLINE_MS + HTTP_ALLOWANCE_MS);
            assertThat(tightP99).as("accepted p99 (ms) with deadline_ms %d within it + HTTP allowance", TIGHT_DEADLINE_MS)
                    .isLessThanOrEqualTo(TIGHT_DEADLINE_MS + HTTP_ALLOWANCE_MS);
            assertThat(heapAfter - heapBefore).as("used heap after GC grew from %d to %d bytes", heapBefore, heapAfter)
                    .isLessThan(HEAP_GROWTH_BOUND);
            assertThat(threadsAfter - threadsBefore).as("live threads grew from %d to %d", threadsBefore, threadsAfter)
                    .isLessThanOrEqualTo(THREAD_GROWTH_BOUND);
        } finally {
            pool.shutdownNow();
        }
        // And the service still captions.
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/captions")).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(png)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    /** What one phase saw. */
    static final class Run {
        final AtomicLong sent = new AtomicLong();
        final AtomicLong answered = new AtomicLong();
        final AtomicLong withoutRetryAfter = new AtomicLong();
        final AtomicLong badBodies = new AtomicLong();
        final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        final Map<String, AtomicLong> problems = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<Long> acceptedMs = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Long> acceptedTightMs = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    }

    /** {@code clients} closed-loop clients for {@code seconds}; every request started is waited for. */
    private void drive(HttpClient client, byte[] png, int clients, int seconds, Run run) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Duration timeout = Duration.ofMillis(DEADLINE_MS + 30_000);
        try (ExecutorService loops = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                long deadlineMs = c % 4 == 3 ? TIGHT_DEADLINE_MS : DEADLINE_MS;
                ConcurrentLinkedQueue<Long> latencies = c % 4 == 3 ? run.acceptedTightMs : run.acceptedMs;
                loops.submit(() -> {
                    while (System.nanoTime() < end) {
                        HttpRequest request = HttpRequest.newBuilder(uri("/v1/captions?deadline_ms=" + deadlineMs))
                                .header("Content-Type", "image/png").timeout(timeout)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build();
                        run.sent.incrementAndGet();
                        long t0 = System.nanoTime();
                        try {
                            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
                            long ms = (System.nanoTime() - t0) / 1_000_000;
                            run.answered.incrementAndGet();
                            int status = r.statusCode();
                            run.statuses.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
                            if (status == 200) {
                                latencies.add(ms);
                                if (!r.body().contains("\"captions\"")) {
                                    run.badBodies.incrementAndGet();
                                }
                            } else {
                                if ((status == 429 || status == 503) && r.headers().firstValue("Retry-After").isEmpty()) {
                                    run.withoutRetryAfter.incrementAndGet();
                                }
                                String type = problemType(r.body());
                                run.problems.computeIfAbsent(status + " " + type, k -> new AtomicLong()).incrementAndGet();
                            }
                        } catch (Exception e) {
                            run.errors.add(e.toString());
                        }
                    }
                    return null;
                });
            }
        }
    }

    private static String problemType(String body) {
        int i = body.indexOf("/problems/");
        if (i < 0) {
            return "?";
        }
        int j = body.indexOf('"', i);
        return body.substring(i + "/problems/".length(), j < 0 ? body.length() : j);
    }

    private static long percentile(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int i = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static int liveThreads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    private static String summary(int capacity, int clients, double elapsed, Run run, int accepted, long p50, long p99,
            long max, long heapBefore, long heapAfter, int threadsBefore, int threadsAfter) {
        StringBuilder s = new StringBuilder();
        s.append("# Overload: last run\n\n");
        s.append(String.format("capacity %d (max-queued + workers x max-batch), %d closed-loop clients (one in four with deadline_ms %d), deadline_ms %d, "
                + "%d s (+ %d s warm-up), measured %.1f s%n%n", capacity, clients, TIGHT_DEADLINE_MS, DEADLINE_MS, SECONDS, WARM_UP_SECONDS,
                elapsed));
        s.append("| figure | value |\n|---|---|\n");
        s.append("| requests sent | ").append(run.sent.get()).append(" |\n");
        s.append("| answered | ").append(run.answered.get()).append(" |\n");
        s.append("| client errors / timeouts | ").append(run.errors.size()).append(" |\n");
        new TreeMap<>(run.statuses).forEach((k, v) -> s.append("| status ").append(k).append(" | ").append(v.get()).append(" |\n"));
        new TreeMap<>(run.problems).forEach((k, v) -> s.append("| problem ").append(k).append(" | ").append(v.get()).append(" |\n"));
        s.append("| 429/503 without Retry-After | ").append(run.withoutRetryAfter.get()).append(" |\n");
        s.append(String.format("| accepted with deadline_ms " + DEADLINE_MS + ": count, p50, p99, max (ms) | %d, %d, %d, %d |%n", accepted, p50, p99, max));
        s.append(String.format("| accepted per second (all) | %.1f |%n", (run.acceptedMs.size() + run.acceptedTightMs.size()) / elapsed));
        s.append(String.format("| used heap after GC, before / after (MiB) | %.1f / %.1f |%n", heapBefore / 1048576.0,
                heapAfter / 1048576.0));
        s.append("| live threads, before / after | ").append(threadsBefore).append(" / ").append(threadsAfter).append(" |\n");
        if (!run.errors.isEmpty()) {
            s.append("\nfirst client error: ").append(run.errors.peek()).append('\n');
        }
        return s.toString();
    }

    private static void write(String summary) throws Exception {
        Path build = Path.of(OverloadTest.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        Path out = build.resolve("reliability/overload-results.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, summary);
    }
}
