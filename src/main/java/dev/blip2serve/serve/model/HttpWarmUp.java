package dev.blip2serve.serve.model;

import dev.blip2serve.serve.ServeProperties;
import java.io.ByteArrayOutputStream;
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
                // One request per way of sending an image: one request in all left the next one still ~2x a warm
                // one (JIT tiers); three measured better.
                for (Body form : Body.values()) {
                    if (v.state() != VariantState.READY || !warm(port, v.key(), form.encode(jpeg))) {
                        break;
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
     * One caption request on a connection of its own (as most clients open one); false when it failed (no point in
     * sending more).
     */
    private boolean warm(int port, VariantKey key, Map.Entry<String, byte[]> body) throws InterruptedException {
        long start = System.nanoTime();
        URI uri = URI.create("http://127.0.0.1:" + port + "/v1/captions?model=" + enc(key.model()) + "&precision="
                + enc(key.variant()) + "&max_new_tokens=" + properties.defaultMaxNewTokens());
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).expectContinue(true)
                .header("Content-Type", body.getKey()).header("X-Request-Id", "warm-up")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.getValue())).build();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpResponse<Void> r = client.send(request, HttpResponse.BodyHandlers.discarding());
            LOG.info("{}: HTTP warm-up answered {} in {} ms", key, r.statusCode(), (System.nanoTime() - start) / 1_000_000);
            return r.statusCode() == 200;
        } catch (java.io.IOException e) {
            LOG.warn("{}: HTTP warm-up failed: {}", key, e.toString());
            return false;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
