package dev.blip2serve.serve.model;

import dev.blip2serve.serve.ServeProperties;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Sends a few real caption requests over loopback HTTP to each variant that is ready when the default variant becomes
 * ready, and holds readiness ({@link DefaultVariantHealthIndicator}) until it has answered: the first client request
 * then pays none of the first-run costs of Tomcat's and Spring MVC's request path, Jackson's serializers, the batch
 * scheduler or the image decoders (measured in docs/benchmarks/image-decode.md). The model's own warm-up
 * ({@link CaptionModel#warmUp()}, {@link RequestPathWarmUp}) runs before, while the variant loads. The request counts
 * in the request metrics like any other.
 */
@Component
@ConditionalOnBooleanProperty(name = "blip2.load-on-startup", matchIfMissing = true)
public class HttpWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(HttpWarmUp.class);
    /** How long the loader may take before the default variant is ready; past it, readiness no longer waits here. */
    private static final Duration WAIT_FOR_DEFAULT = Duration.ofHours(2);
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(2);
    /** Requests per variant: one leaves the second request still ~2x a warm one (JIT tiers); three measured better. */
    private static final int REQUESTS = 3;

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
            try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
                for (Variant v : registry.all()) {
                    for (int i = 0; i < REQUESTS && v.state() == VariantState.READY; i++) {
                        warm(client, port, v.key(), jpeg);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("HTTP warm-up failed: {}", e.toString());
        } finally {
            done = true;
        }
    }

    private void warm(HttpClient client, int port, VariantKey key, byte[] jpeg) throws InterruptedException {
        long start = System.nanoTime();
        URI uri = URI.create("http://127.0.0.1:" + port + "/v1/captions?model=" + enc(key.model()) + "&precision="
                + enc(key.variant()) + "&max_new_tokens=" + properties.defaultMaxNewTokens());
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).header("Content-Type", "image/jpeg")
                .header("X-Request-Id", "warm-up").POST(HttpRequest.BodyPublishers.ofByteArray(jpeg)).build();
        try {
            HttpResponse<Void> r = client.send(request, HttpResponse.BodyHandlers.discarding());
            LOG.info("{}: HTTP warm-up answered {} in {} ms", key, r.statusCode(), (System.nanoTime() - start) / 1_000_000);
        } catch (java.io.IOException e) {
            LOG.warn("{}: HTTP warm-up failed: {}", key, e.toString());
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
