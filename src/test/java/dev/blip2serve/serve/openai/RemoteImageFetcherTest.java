package dev.blip2serve.serve.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.blip2serve.serve.web.ApiException;
import dev.blip2serve.serve.web.ProblemType;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.util.unit.DataSize;

/**
 * The SSRF guards of remote image URLs, against real HTTP servers on 127.0.0.1 (random ports). The allowed path
 * needs a fetcher that may reach loopback over http: {@link RemoteImageFetcher.Reach} built here, which no
 * configuration can produce; every other check runs with the production fetcher too.
 */
class RemoteImageFetcherTest {

    private static final String PARAM = "messages[0].content[0].image_url.url";
    private static final byte[] IMAGE = new byte[600];
    private static final RemoteImageFetcher.Reach LOOPBACK_FOR_TESTS = new RemoteImageFetcher.Reach(true);

    private HttpServer server;
    private HttpServer other;
    private final ExecutorService handlers = Executors.newCachedThreadPool();
    /** Released when the test ends, so a handler that stalls on purpose never outlives it. */
    private final CountDownLatch testOver = new CountDownLatch(1);
    /** Released when {@code /held} has the request, so the fetch is known to wait on the server. */
    private final CountDownLatch held = new CountDownLatch(1);

    @BeforeEach
    void servers() throws IOException {
        for (int i = 0; i < IMAGE.length; i++) {
            IMAGE[i] = (byte) i;
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        other = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(handlers);
        other.setExecutor(handlers);
        server.createContext("/image.png", x -> reply(x, 200, IMAGE, true));
        server.createContext("/big.png", x -> reply(x, 200, new byte[2000], true));
        server.createContext("/big-chunked.png", x -> reply(x, 200, new byte[2000], false));
        server.createContext("/missing.png", x -> reply(x, 404, new byte[0], true));
        server.createContext("/same-origin", x -> redirect(x, "/image.png"));
        server.createContext("/loop", x -> redirect(x, "/loop"));
        server.createContext("/other-port", x -> redirect(x, "http://127.0.0.1:" + other.getAddress().getPort()
                + "/image.png"));
        server.createContext("/other-host", x -> redirect(x, "http://localhost:" + server.getAddress().getPort()
                + "/image.png"));
        server.createContext("/slow-headers", x -> {
            await();
            reply(x, 200, IMAGE, true);
        });
        server.createContext("/held", x -> {
            held.countDown();
            await();
            reply(x, 200, IMAGE, true);
        });
        server.createContext("/slow-body", x -> {
            x.sendResponseHeaders(200, IMAGE.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(IMAGE, 0, 10);
                out.flush();
                await();
            } catch (IOException e) {
                // the fetcher gave up and closed the connection
            }
        });
        other.createContext("/image.png", x -> reply(x, 200, IMAGE, true));
        server.start();
        other.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        testOver.countDown();
        server.stop(0);
        other.stop(0);
        handlers.shutdownNow();
        handlers.awaitTermination(10, TimeUnit.SECONDS);
    }

    private void await() {
        try {
            testOver.await(30, TimeUnit.SECONDS); // a bound on the stall, not a time check
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void reply(HttpExchange x, int status, byte[] body, boolean withLength) throws IOException {
        x.getResponseHeaders().set("Content-Type", "image/png");
        x.sendResponseHeaders(status, body.length == 0 ? -1 : withLength ? body.length : 0);
        if (body.length > 0) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        }
        x.close();
    }

    private static void redirect(HttpExchange x, String location) throws IOException {
        x.getResponseHeaders().set("Location", location);
        x.sendResponseHeaders(302, -1);
        x.close();
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    private static RemoteImageProperties enabled(String... hosts) {
        return new RemoteImageProperties(true, List.of(hosts), DataSize.ofBytes(1000), Duration.ofSeconds(2),
                Duration.ofMillis(500), 3);
    }

    private static RemoteImageFetcher testFetcher(String... hosts) {
        return new RemoteImageFetcher(enabled(hosts), LOOPBACK_FOR_TESTS);
    }

    private static void refused(Runnable fetch, ProblemType type, String detail) {
        assertThatThrownBy(fetch::run).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.type()).isEqualTo(type);
            assertThat(e.getMessage()).contains(detail);
            assertThat(e.properties()).containsEntry("parameter", PARAM);
        });
    }

    // ------------------------------------------------------------------ production settings

    @Test
    void offByDefault() {
        RemoteImageProperties defaults = new RemoteImageProperties(false, List.of(), DataSize.ofMegabytes(10),
                Duration.ofSeconds(2), Duration.ofSeconds(5), 3);
        refused(() -> new RemoteImageFetcher(defaults).fetch("https://example.com/a.png", PARAM),
                ProblemType.INVALID_PARAMETER, "turned off");
        assertThatThrownBy(() -> new RemoteImageProperties(true, List.of(" "), DataSize.ofMegabytes(1),
                Duration.ofSeconds(1), Duration.ofSeconds(1), 0)).hasMessageContaining("allowed-hosts");
    }

    @Test
    void productionNeverReachesLoopbackOrPrivateAddressesEvenWhenAllowlisted() {
        RemoteImageFetcher production = new RemoteImageFetcher(enabled("127.0.0.1", "localhost", "10.1.2.3",
                "169.254.169.254", "[::1]", "::1"));
        int port = server.getAddress().getPort();
        for (String url : List.of("https://127.0.0.1:" + port + "/image.png", "https://localhost:" + port + "/image.png",
                "https://10.1.2.3/image.png", "https://169.254.169.254/latest/meta-data", "https://[::1]:" + port + "/")) {
            refused(() -> production.fetch(url, PARAM), ProblemType.INVALID_PARAMETER, "never fetched");
        }
        // and plain http is refused before anything else
        refused(() -> production.fetch(url("/image.png"), PARAM), ProblemType.INVALID_PARAMETER, "only https");
    }

    @Test
    void specialPurposeAddressesAreNotPublic() throws Exception {
        for (String a : List.of("127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.0.8", "198.18.0.1", "::1", "::", "fe80::1", "fd00::1",
                "fc00::2", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "ff02::1")) {
            assertThat(RemoteImageFetcher.isPublic(InetAddress.getByName(a))).as(a).isFalse();
        }
        for (String a : List.of("8.8.8.8", "93.184.216.34", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8")) {
            assertThat(RemoteImageFetcher.isPublic(InetAddress.getByName(a))).as(a).isTrue();
        }
    }

    @Test
    void onlyAllowlistedHostsAndNoCredentials() {
        RemoteImageProperties p = enabled("images.example.com", "*.cdn.example.net");
        assertThat(p.allows("images.example.com")).isTrue();
        assertThat(p.allows("a.cdn.example.net")).isTrue();
        assertThat(p.allows("cdn.example.net")).isFalse();
        assertThat(p.allows("evilcdn.example.net")).isFalse();
        assertThat(p.allows("images.example.com.evil.org")).isFalse();
        RemoteImageFetcher production = new RemoteImageFetcher(p);
        refused(() -> production.fetch("https://evil.example.org/a.png", PARAM), ProblemType.INVALID_PARAMETER,
                "not on this service's allowlist");
        refused(() -> production.fetch("https://user:pw@images.example.com/a.png", PARAM),
                ProblemType.INVALID_PARAMETER, "credentials");
        refused(() -> testFetcher("localhost").fetch(url("/image.png"), PARAM), ProblemType.INVALID_PARAMETER,
                "allowlist");
    }

    // ------------------------------------------------------------------ with the loopback test reach

    @Test
    void anAllowedUrlIsFetchedAndSameOriginRedirectsFollowed() {
        assertThat(testFetcher("127.0.0.1").fetch(url("/image.png"), PARAM)).isEqualTo(IMAGE);
        assertThat(testFetcher("127.0.0.1").fetch(url("/same-origin"), PARAM)).isEqualTo(IMAGE);
    }

    @Test
    void redirectsToAnotherPortOrHostAreRefused() {
        refused(() -> testFetcher("127.0.0.1").fetch(url("/other-port"), PARAM), ProblemType.INVALID_PARAMETER,
                "another host or port");
        refused(() -> testFetcher("127.0.0.1", "localhost").fetch(url("/other-host"), PARAM),
                ProblemType.INVALID_PARAMETER, "another host or port");
        refused(() -> testFetcher("127.0.0.1").fetch(url("/loop"), PARAM), ProblemType.INVALID_PARAMETER,
                "redirected more than 3 times");
    }

    @Test
    void bodiesOverTheLimitAreRefusedDeclaredOrNot() {
        refused(() -> testFetcher("127.0.0.1").fetch(url("/big.png"), PARAM), ProblemType.PAYLOAD_TOO_LARGE, "1000");
        refused(() -> testFetcher("127.0.0.1").fetch(url("/big-chunked.png"), PARAM), ProblemType.PAYLOAD_TOO_LARGE,
                "1000");
    }

    @Test
    void aServerThatStallsIsCutOffAtTheTimeLimit() {
        refused(() -> testFetcher("127.0.0.1").fetch(url("/slow-headers"), PARAM), ProblemType.INVALID_PARAMETER,
                "took longer than 500 ms");
        refused(() -> testFetcher("127.0.0.1").fetch(url("/slow-body"), PARAM), ProblemType.INVALID_PARAMETER,
                "took longer than 500 ms");
    }

    @Test
    void aFetchInterruptedForShutdownIsTheShuttingDown503InOpenAisShape() throws Exception {
        RemoteImageFetcher fetcher = new RemoteImageFetcher(new RemoteImageProperties(true, List.of("127.0.0.1"),
                DataSize.ofBytes(1000), Duration.ofSeconds(2), Duration.ofSeconds(30), 3), LOOPBACK_FOR_TESTS);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread fetching = Thread.ofPlatform().start(() -> {
            try {
                fetcher.fetch(url("/held"), PARAM);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        assertThat(held.await(30, TimeUnit.SECONDS)).as("the server saw the request").isTrue();
        fetching.interrupt(); // what shutdown does to a request thread still waiting on the image server
        fetching.join();
        assertThat(thrown.get()).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.type()).isEqualTo(ProblemType.SERVICE_UNAVAILABLE);
            assertThat(e.getMessage()).isEqualTo("the service is shutting down");
            assertThat(e.retryAfterSeconds()).isNull();
            ResponseEntity<Map<String, Object>> response = new OpenAiErrors().api(e);
            assertThat(response.getStatusCode().value()).isEqualTo(503);
            assertThat(response.getHeaders().containsHeader(HttpHeaders.RETRY_AFTER)).isFalse();
            assertThat(response.getBody()).containsOnlyKeys("error");
            @SuppressWarnings("unchecked")
            Map<String, Object> error = (Map<String, Object>) response.getBody().get("error");
            assertThat(error).containsExactly(entry("message", "the service is shutting down"),
                    entry("type", "server_error"), entry("param", null), entry("code", "service_unavailable"));
        });
    }

    @Test
    void errorsFromTheServerAreRefusals() {
        refused(() -> testFetcher("127.0.0.1").fetch(url("/missing.png"), PARAM), ProblemType.INVALID_PARAMETER,
                "HTTP 404");
        int closed = other.getAddress().getPort();
        other.stop(0);
        refused(() -> testFetcher("127.0.0.1").fetch("http://127.0.0.1:" + closed + "/image.png", PARAM),
                ProblemType.INVALID_PARAMETER, "could not be fetched");
    }
}
