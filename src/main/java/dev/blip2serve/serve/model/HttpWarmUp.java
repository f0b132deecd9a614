package dev.blip2serve.serve.model;

import dev.blip2serve.serve.ServeProperties;
import java.io.ByteArrayOutputStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Sends rounds of real caption requests over loopback HTTP to each variant that is ready when the default variant
 * becomes ready, and holds readiness ({@link DefaultVariantHealthIndicator}) until it has answered: the first client request
 * then pays none of the first-run costs of Tomcat's and Spring MVC's request path, Jackson's serializers, the batch
 * scheduler or the image decoders (measured in docs/benchmarks/image-decode.md). The model's own warm-up
 * ({@link CaptionModel#warmUp()}, {@link RequestPathWarmUp}) runs before, while the variant loads. The requests (at
 * most {@link #MAX_ROUNDS} rounds of three per variant, {@code X-Request-Id: warm-up}) count in the request metrics
 * like any other.
 */
@Component
@ConditionalOnBooleanProperty(name = "blip2.load-on-startup", matchIfMissing = true)
public class HttpWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(HttpWarmUp.class);
    /** How long the loader may take before the default variant is ready; past it, readiness no longer waits here. */
    private static final Duration WAIT_FOR_DEFAULT = Duration.ofHours(2);
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(2);
    /** Most warm-up rounds per variant (a round is three requests). */
    private static final int MAX_ROUNDS = 8;
    /** No new round starts after this much time on one variant. */
    private static final Duration ROUNDS_BUDGET = Duration.ofSeconds(2);
    /** A round during which the compilers ran for at most this share of its wall time counts as quiet. */
    private static final double QUIET_COMPILE_SHARE = 0.1;
    private final ServeProperties properties;
    private final ModelRegistry registry;
    private volatile boolean done;

    public HttpWarmUp(ServeProperties properties, ModelRegistry registry) {
        this.properties = properties;
        this.registry = registry;
        this.done = !properties.warmUp();
    }

    /** Whether readiness may turn true: the warm-up requests were answered (or are off, or gave up). */
    public boolean done() {
        return done;
    }

    @EventListener
    public void serverStarted(WebServerInitializedEvent event) {
        if (done || event.getApplicationContext().getServerNamespace() != null) {
            return; // off, or the management server (no caption endpoints there)
        }
        int port = event.getWebServer().getPort();
        Thread.ofPlatform().name("blip2-http-warm-up").daemon(true).start(() -> run(port));
    }

    private void run(int port) {
        long deadline = System.nanoTime() + WAIT_FOR_DEFAULT.toNanos();
        try {
            while (registry.defaultVariant().map(v -> v.state() == VariantState.LOADING).orElse(true)) {
                if (System.nanoTime() > deadline) {
                    return;
                }
                Thread.sleep(50);
            }
            byte[] jpeg = RequestPathWarmUp.encode("jpeg", true);
            for (Variant v : registry.all()) {
                warmUntilCompiled(port, v, jpeg);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("HTTP warm-up failed: {}", e.toString());
        } finally {
            done = true;
        }
    }

    /**
     * The three ways clients send an image, in turn: each has code of its own on the request path (Tomcat's
     * {@code Expect: 100-continue} handling, the multipart parser, Jackson and base64).
     */
    public enum Body {
        RAW, MULTIPART, JSON;

        private static final String BOUNDARY = "blip2-warm-up";

        /** Content type and body for this form of the image. */
        public Map.Entry<String, byte[]> encode(byte[] jpeg) {
            return switch (this) {
                case RAW -> Map.entry("image/jpeg", jpeg);
                case MULTIPART -> {
                    var out = new ByteArrayOutputStream();
                    out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"image\"; filename="
                            + "\"warm-up.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.writeBytes(jpeg);
                    out.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
                    yield Map.entry("multipart/form-data; boundary=" + BOUNDARY, out.toByteArray());
                }
                case JSON -> Map.entry("application/json", ("{\"image\":\"" + Base64.getEncoder().encodeToString(jpeg)
                        + "\"}").getBytes(StandardCharsets.US_ASCII));
            };
        }
    }

    /**
     * Rounds of one request per way of sending an image, until a round leaves the JIT compilers nearly idle, or
     * {@link #MAX_ROUNDS} have run, or {@link #ROUNDS_BUDGET} has passed. One round left the first client request
     * 1.2-2x a warm one: code still in the JIT's first tiers, and the compiler threads busy on it beside the request
     * on a small machine. Where requests are long next to the compile time (a large model), the first round already
     * counts as quiet.
     */
    private void warmUntilCompiled(int port, Variant v, byte[] jpeg) throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long begin = System.nanoTime();
        long deadline = begin + ROUNDS_BUDGET.toNanos();
        int round = 0;
        boolean quiet = false;
        while (!quiet && round < MAX_ROUNDS && (round == 0 || System.nanoTime() < deadline)) {
            round++;
            long compileMs = timed ? jit.getTotalCompilationTime() : 0;
            long start = System.nanoTime();
            for (Body form : Body.values()) {
                if (v.state() != VariantState.READY || !warm(port, v.key(), form.encode(jpeg))) {
                    return;
                }
            }
            long wallMs = (System.nanoTime() - start) / 1_000_000;
            long compiledMs = timed ? jit.getTotalCompilationTime() - compileMs : 0;
            LOG.debug("{}: HTTP warm-up round {} took {} ms, {} ms of it compiling", v.key(), round, wallMs, compiledMs);
            quiet = !timed || compiledMs <= QUIET_COMPILE_SHARE * wallMs;
        }
        LOG.info("{}: HTTP warm-up: {} round(s) of {} requests in {} ms{}", v.key(), round, Body.values().length,
                (System.nanoTime() - begin) / 1_000_000, quiet ? "" : " (the JIT compilers were still busy)");
    }

    /**
     * One caption request on a connection of its own (as most clients open one); false when it failed (no point in
     * sending more).
     */
    private boolean warm(int port, VariantKey key, Map.Entry<String, byte[]> body) throws InterruptedException {
        long start = System.nanoTime();
        // Every decode step up to the default length: the warm-up photo's own caption ends sooner than most, and
        // each longer KV cache is a shape ONNX Runtime has not run yet (the first client request paid ~2x in decode).
        int tokens = properties.defaultMaxNewTokens();
        URI uri = URI.create("http://127.0.0.1:" + port + "/v1/captions?model=" + enc(key.model()) + "&precision="
                + enc(key.variant()) + "&max_new_tokens=" + tokens + "&min_new_tokens=" + tokens);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).expectContinue(true)
                .header("Content-Type", body.getKey()).header("X-Request-Id", "warm-up")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.getValue())).build();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpResponse<Void> r = client.send(request, HttpResponse.BodyHandlers.discarding());
            long ms = (System.nanoTime() - start) / 1_000_000;
            if (r.statusCode() != 200) {
                LOG.warn("{}: HTTP warm-up answered {} in {} ms; no more warm-up requests", key, r.statusCode(), ms);
                return false;
            }
            LOG.debug("{}: HTTP warm-up answered in {} ms", key, ms);
            return true;
        } catch (java.io.IOException e) {
            LOG.warn("{}: HTTP warm-up failed: {}", key, e.toString());
            return false;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
