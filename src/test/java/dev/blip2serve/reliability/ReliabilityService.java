package dev.blip2serve.reliability;

import dev.blip2serve.serve.LoopbackService;
import dev.blip2serve.serve.ServeApplication;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The real service on a random loopback port, shared by the reliability tests (one application context): a fresh
 * temporary repository where it builds shapes-blip2 fp32 only from the bundled checkpoint. Limits made small so
 * hostile bodies stay cheap: 4 MB images, 5 new tokens by default; the rest are the documented defaults. Next to
 * it, {@link FaultyVariants}: a model whose variants have a missing file, a truncated file and a file whose hash
 * does not match the manifest.
 */
@SpringBootTest(classes = ServeApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "blip2.bootstrap-variants=fp32",
        "blip2.limits.max-body-bytes=4MB",
        "blip2.default-max-new-tokens=5",
        "blip2.batching.max-batch=4",
        "blip2.batching.max-queued=8",
        "blip2.batching.workers=1",
        "blip2.batching.retry-after-seconds=1"})
abstract class ReliabilityService extends LoopbackService {

    static final long LIMIT_BYTES = 4L << 20;
    static final Path REPOSITORY = temporaryFolder("blip2-reliability-", FaultyVariants::write);

    @DynamicPropertySource
    static void repository(DynamicPropertyRegistry registry) {
        registry.add("blip2.repository", REPOSITORY::toString);
    }

    private static volatile boolean ready;

    @BeforeEach
    void waitUntilReady() throws Exception {
        if (ready) {
            return;
        }
        awaitService(() -> {
            HttpResponse<String> r = get("/actuator/health/readiness");
            return r.statusCode() == 200 ? null : r.body();
        });
        ready = true;
    }

    /** A response, from the JDK client or from {@link #raw}. */
    record Resp(int status, java.util.Map<String, String> headers, String body) {
        static Resp of(HttpResponse<String> r) {
            java.util.Map<String, String> h = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            r.headers().map().forEach((k, v) -> h.put(k, v.isEmpty() ? "" : v.get(0)));
            return new Resp(r.statusCode(), h, r.body() == null ? "" : r.body());
        }

        java.util.Optional<String> header(String name) {
            return java.util.Optional.ofNullable(headers.get(name));
        }
    }

    /**
     * HTTP/1.1 over a plain socket, for bodies the service refuses before reading them (413 on the declared
     * Content-Length): the body is written on its own thread, write errors ignored, and the response is read
     * whatever happens to the upload. The JDK client reports a broken pipe there instead of the answer.
     */
    Resp raw(String method, String path, java.util.Map<String, String> headers, byte[] body) throws IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(60_000);
            StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nConnection: close\r\nContent-Length: " + body.length + "\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            head.append("\r\n");
            java.io.OutputStream out = socket.getOutputStream();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    out.write(head.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                    out.write(body);
                    out.flush();
                } catch (IOException ignored) {
                    // the service may close the connection after refusing: expected
                }
            });
            java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            String status = line(in);
            java.util.Map<String, String> h = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (String l = line(in); !l.isEmpty(); l = line(in)) {
                int colon = l.indexOf(':');
                h.put(l.substring(0, colon).trim(), l.substring(colon + 1).trim());
            }
            java.io.ByteArrayOutputStream content = new java.io.ByteArrayOutputStream();
            if ("chunked".equalsIgnoreCase(h.get("Transfer-Encoding"))) {
                for (int n = Integer.parseInt(line(in).split(";")[0].trim(), 16); n > 0;
                        n = Integer.parseInt(line(in).split(";")[0].trim(), 16)) {
                    content.write(in.readNBytes(n));
                    line(in);
                }
            } else if (h.containsKey("Content-Length")) {
                content.write(in.readNBytes(Integer.parseInt(h.get("Content-Length"))));
            } else {
                content.write(in.readAllBytes());
            }
            try {
                writer.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Resp(Integer.parseInt(status.split(" ")[1]), h,
                    content.toString(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private static String line(java.io.InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) {
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }
}
