package dev.blip2serve.serve;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the tests against the real service on a random loopback port share: temporary folders removed when the JVM
 * exits, an HTTP client for the port, and waiting (bounded) until the service is ready. Subclasses
 * carry their own {@code @SpringBootTest} properties, so each set of properties is one application context.
 */
public abstract class LoopbackService {

    // Generous: converting and loading on a loaded 2-core CI box; a bound on waiting, not a latency check.
    protected static final Duration READY_WITHIN = Duration.ofMinutes(10);

    @LocalServerPort
    protected int port;

    protected final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    protected final JsonMapper json = JsonMapper.builder().build();

    /** Fills a fresh folder. */
    @FunctionalInterface
    protected interface Populate {
        void into(Path folder) throws IOException;
    }

    /** A fresh temporary folder, deleted (best effort) when the JVM exits. */
    protected static Path temporaryFolder(String prefix) {
        return temporaryFolder(prefix, folder -> {
        });
    }

    /** A fresh temporary folder filled by {@code populate}, deleted (best effort) when the JVM exits. */
    protected static Path temporaryFolder(String prefix, Populate populate) {
        try {
            Path folder = Files.createTempDirectory(prefix);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(folder)));
            populate.into(folder);
            return folder;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes a folder and everything in it, best effort. */
    protected static void deleteTree(Path root) {
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    /**
     * Polls every 250 ms until {@code check} returns null, failing with its last answer after {@link #READY_WITHIN}.
     *
     * @param check null when the service is where the test needs it, otherwise what it looks like now
     */
    protected static void awaitService(Callable<String> check) throws Exception {
        long deadline = System.nanoTime() + READY_WITHIN.toNanos();
        while (true) {
            String state = check.call();
            if (state == null) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not ready: " + state);
            }
            Thread.sleep(250);
        }
    }

    protected URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    protected HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    protected HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
