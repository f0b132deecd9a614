package dev.blip2serve.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 8, item 1: every case of {@code src/test/resources/bad-inputs/cases.json} against the real service over
 * loopback HTTP. Each answer has one of the case's statuses, never a 5xx; a problem answer is
 * {@code application/problem+json} with the expected type, the request id (body and header) and no stack trace or
 * server path; a 200 carries a caption. Before and after the corpus the used heap after a full GC is measured:
 * it may not grow by more than {@link #HEAP_GROWTH_BOUND}. The outcome table is written to
 * {@code <build dir>/reliability/corpus-results.md} (never into the source tree).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadInputCorpusTest extends ReliabilityService {

    static final String PROBLEMS = "https://blip2-serve.dev/problems/";
    static final long HEAP_GROWTH_BOUND = 64L << 20;
    static final String BOUNDARY = "reliability-boundary";

    record Case(String id, String group, String method, String path, String contentType, String body,
                List<Integer> expect, String type, String detail, boolean rawClient, String what) {
        @Override
        public String toString() {
            return id;
        }
    }

    /** A request built in code: null path / content type = take the case's; headers are sent as well. */
    record Built(String path, String contentType, HttpRequest.BodyPublisher body, String requestId, byte[] raw,
                 Map<String, String> headers) {
        Built(String path, String contentType, HttpRequest.BodyPublisher body, String requestId) {
            this(path, contentType, body, requestId, null, Map.of());
        }

        Built(String contentType, HttpRequest.BodyPublisher body) {
            this(null, contentType, body, null);
        }

        static Built raw(byte[] body) {
            return new Built(null, null, bytes(body), null, body, Map.of());
        }

        /** The valid PNG as a raw body, with these headers (for the raw client too). */
        static Built withHeaders(String requestId, Map<String, String> headers) {
            return new Built(null, null, bytes(png()), requestId, png(), headers);
        }
    }

    record Outcome(Case c, int status, String type, String detail) {
    }

    static final List<Outcome> OUTCOMES = Collections.synchronizedList(new ArrayList<>());
    static long heapBefore = -1;
    static long heapAfter = -1;

    static Stream<Case> cases() throws Exception {
        JsonNode root = JsonMapper.builder().build().readTree(BadInputFiles.resource("bad-inputs/cases.json"));
        List<Case> out = new ArrayList<>();
        for (JsonNode n : root.path("cases")) {
            List<Integer> expect = new ArrayList<>();
            n.path("expect").forEach(s -> expect.add(s.asInt()));
            out.add(new Case(n.path("id").asString(), n.path("group").asString(),
                    n.path("method").isMissingNode() ? "POST" : n.path("method").asString(),
                    n.path("path").asString(), n.path("content_type").isNull() ? null : n.path("content_type").asString(),
                    n.path("body").asString(), expect, n.path("type").isNull() ? null : n.path("type").asString(),
                    n.path("detail").asString(null), n.path("client").asString("").equals("raw"),
                    n.path("what").asString()));
        }
        return out.stream();
    }

    @Test
    @Order(0)
    void heapBeforeTheCorpus() {
        heapBefore = usedHeapAfterGc();
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void caseIsAnsweredCleanly(Case c) throws Exception {
        Resp r;
        String sentRequestId = null;
        if (c.body().equals("code:many-concurrent")) {
            r = Resp.of(manyConcurrent(c));
        } else {
            Built built = build(c);
            sentRequestId = built == null ? null : built.requestId();
            String path = built != null && built.path() != null ? built.path() : c.path();
            String contentType = built != null && built.contentType() != null ? built.contentType() : c.contentType();
            if (c.rawClient()) {
                Map<String, String> headers = new LinkedHashMap<>(built.headers());
                headers.put("Content-Type", contentType);
                r = raw(c.method(), path, headers, built.raw());
            } else {
                HttpRequest.BodyPublisher body = built != null ? built.body() : publisher(c.body());
                HttpRequest.Builder req = HttpRequest.newBuilder(uri(path)).method(c.method(), body);
                if (contentType != null) {
                    req.header("Content-Type", contentType);
                }
                if (sentRequestId != null) {
                    req.header("X-Request-Id", sentRequestId);
                }
                if (built != null) {
                    built.headers().forEach(req::header);
                }
                r = Resp.of(send(req));
            }
        }
        String bodyText = r.body();
        String problemType = null;
        String detail = null;
        if (r.header("Content-Type").orElse("").startsWith("application/problem+json")) {
            JsonNode p = json.readTree(bodyText);
            problemType = p.path("type").asString().replace(PROBLEMS, "");
            detail = p.path("detail").asString();
        }
        OUTCOMES.add(new Outcome(c, r.status(), problemType, detail));

        assertThat(r.status()).as(c.id() + ": " + bodyText).isLessThan(500).isIn(c.expect());
        assertThat(bodyText).as(c.id() + ": no stack trace or server path in the body")
                .doesNotContain("Exception").doesNotContain("\tat ").doesNotContain(REPOSITORY.toString())
                .doesNotContain("dev.blip2serve");
        String headerId = r.header("X-Request-Id").orElse(null);
        assertThat(headerId).as(c.id() + ": X-Request-Id").isNotBlank();
        if (sentRequestId != null) {
            assertThat(headerId).as("a hostile request id is not echoed").isNotEqualTo(sentRequestId).hasSizeLessThanOrEqualTo(64);
        }
        if (r.status() == 200) {
            if (c.path().startsWith("/v1/captions:stream")) {
                assertThat(bodyText).contains("event:result");
            } else {
                JsonNode body = json.readTree(bodyText);
                assertThat(body.path("captions").get(0).path("text").asString()).as(c.id()).isNotBlank();
                assertThat(body.path("request_id").asString()).isEqualTo(headerId);
            }
        } else {
            assertThat(r.header("Content-Type")).as(c.id() + ": " + bodyText)
                    .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
            JsonNode p = json.readTree(bodyText);
            if (c.type() != null) {
                assertThat(p.path("type").asString()).as(c.id() + ": " + bodyText).isEqualTo(PROBLEMS + c.type());
            } else {
                assertThat(p.path("type").asString()).as(c.id()).startsWith(PROBLEMS);
            }
            assertThat(p.path("status").asInt()).isEqualTo(r.status());
            assertThat(p.path("request_id").asString()).as(c.id() + ": request_id").isEqualTo(headerId);
            assertThat(p.path("detail").asString()).as(c.id() + ": detail").isNotBlank().doesNotContain("\n");
            if (c.detail() != null) {
                assertThat(p.path("detail").asString()).as(c.id() + ": detail names the problem").contains(c.detail());
            }
        }
    }

    @Test
    @Order(2)
    void heapStaysBoundedAndTheServiceStillCaptions() throws Exception {
        heapAfter = usedHeapAfterGc();
        assertThat(heapAfter - heapBefore).as("used heap after GC grew from %d to %d bytes", heapBefore, heapAfter)
                .isLessThan(HEAP_GROWTH_BOUND);
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/captions")).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(BadInputFiles.read(BadInputFiles.EVAL_PNG))));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    @AfterAll
    static void writeResults() throws Exception {
        Path build = Path.of(BadInputCorpusTest.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .getParent();
        Path out = build.resolve("reliability/corpus-results.md");
        Files.createDirectories(out.getParent());
        StringBuilder md = new StringBuilder();
        md.append("# Bad-input corpus: outcomes\n\n");
        md.append("Generated by `BadInputCorpusTest` against the real service (shapes-blip2 fp32, 4 MB image limit, ")
                .append("loopback HTTP). ").append(OUTCOMES.size()).append(" cases; used heap after GC before ")
                .append(heapBefore >> 20).append(" MiB, after ").append(heapAfter >> 20).append(" MiB.\n\n");
        md.append("| case | group | what | expected | got | problem type | detail |\n|---|---|---|---|---|---|---|\n");
        List<Outcome> sorted = new ArrayList<>(OUTCOMES);
        for (Outcome o : sorted) {
            String d = o.detail() == null ? "" : o.detail();
            if (d.length() > 120) {
                d = d.substring(0, 120) + "...";
            }
            md.append("| ").append(o.c().id()).append(" | ").append(o.c().group()).append(" | ")
                    .append(esc(o.c().what())).append(" | ").append(o.c().expect()).append(' ')
                    .append(o.c().type() == null ? "" : o.c().type()).append(" | ").append(o.status()).append(" | ")
                    .append(o.type() == null ? "" : o.type()).append(" | ").append(esc(d)).append(" |\n");
        }
        Files.writeString(out, md.toString());
    }

    private static String esc(String s) {
        return s.replace("|", "\\|");
    }

    static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    // --- bodies

    static HttpRequest.BodyPublisher publisher(String spec) {
        if (spec.equals("empty")) {
            return HttpRequest.BodyPublishers.noBody();
        }
        if (spec.startsWith("file:")) {
            return HttpRequest.BodyPublishers.ofByteArray(BadInputFiles.resource(spec.substring(5)));
        }
        if (spec.startsWith("text:")) {
            return HttpRequest.BodyPublishers.ofString(spec.substring(5));
        }
        throw new IllegalArgumentException("unknown body spec " + spec);
    }

    static byte[] png() {
        return BadInputFiles.resource("images/rgb8.png");
    }

    static byte[] overLimit() {
        byte[] b = new byte[(int) LIMIT_BYTES + 1];
        byte[] png = png();
        System.arraycopy(png, 0, b, 0, png.length);
        return b;
    }

    static final class Multipart {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Multipart field(String name, byte[] value) {
            out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.writeBytes(value);
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
            return this;
        }

        Multipart image(byte[] data) {
            return file("image", data);
        }

        Multipart file(String name, byte[] data) {
            out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name
                    + "\"; filename=\"x.png\"\r\nContent-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.writeBytes(data);
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
            return this;
        }

        byte[] end() {
            out.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
            return out.toByteArray();
        }

        static String contentType() {
            return "multipart/form-data; boundary=" + BOUNDARY;
        }
    }

    static HttpRequest.BodyPublisher bytes(byte[] b) {
        return HttpRequest.BodyPublishers.ofByteArray(b);
    }

    static Built build(Case c) {
        if (!c.body().startsWith("code:")) {
            return null;
        }
        String mp = Multipart.contentType();
        String b64 = Base64.getEncoder().encodeToString(png());
        return switch (c.body().substring(5)) {
            case "over-limit-raw" -> Built.raw(overLimit());
            case "over-limit-raw-chunked" -> new Built(null,
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(overLimit())));
            case "over-limit-multipart" -> new Built(mp, bytes(new Multipart().image(overLimit()).end()));
            case "over-limit-json-base64" -> new Built(null, HttpRequest.BodyPublishers.ofString(
                    "{\"image\":\"" + Base64.getEncoder().encodeToString(overLimit()) + "\"}"));
            case "over-limit-json-body" -> Built.raw(("{\"image\":\"" + "A".repeat(8 << 20) + "\"}")
                    .getBytes(StandardCharsets.US_ASCII));
            case "multipart-no-image-part" -> new Built(mp, bytes(new Multipart()
                    .field("prompt", "hello".getBytes(StandardCharsets.UTF_8)).end()));
            case "multipart-unterminated" -> {
                byte[] full = new Multipart().image(png()).end();
                yield new Built(mp, bytes(java.util.Arrays.copyOf(full, full.length - 30)));
            }
            case "multipart-valid" -> new Built(null, bytes(new Multipart().image(png()).end()));
            case "multipart-empty-image" -> new Built(mp, bytes(new Multipart().image(new byte[0]).end()));
            case "multipart-many-images" -> {
                Multipart m = new Multipart();
                for (int i = 0; i < 64; i++) {
                    m.image(png());
                }
                yield new Built(mp, bytes(m.end()));
            }
            case "multipart-several-images" -> {
                Multipart m = new Multipart();
                for (int i = 0; i < 8; i++) {
                    m.image(png());
                }
                yield new Built(mp, bytes(m.end()));
            }
            case "multipart-two-images" -> new Built(mp, bytes(new Multipart().image(png()).image(png()).end()));
            case "multipart-unknown-file-part" -> new Built(mp, bytes(new Multipart().image(png())
                    .file("mask", png()).end()));
            case "multipart-many-fields" -> {
                Multipart m = new Multipart().image(png());
                for (int i = 0; i < 60; i++) {
                    m.field("f" + i, "x".getBytes(StandardCharsets.UTF_8));
                }
                yield new Built(mp, bytes(m.end()));
            }
            case "multipart-prompt-100k" -> new Built(mp, bytes(new Multipart()
                    .field("prompt", "a".repeat(100_000).getBytes(StandardCharsets.UTF_8)).image(png()).end()));
            case "multipart-prompt-invalid-utf8" -> new Built(mp, bytes(new Multipart()
                    .field("prompt", new byte[] {'Q', ':', ' ', (byte) 0xC3, 0x28, (byte) 0xFF, (byte) 0xFE})
                    .image(png()).end()));
            case "query-prompt-100k" -> new Built("/v1/captions?prompt=" + "a".repeat(100_000), null, bytes(png()), null);
            case "query-over-8k" -> new Built("/v1/captions?prompt=" + "a".repeat(8200), null, bytes(png()), null);
            case "query-10mb" -> new Built("/v1/captions?prompt=" + "a".repeat(10_000_000), null, bytes(png()), null,
                    png(), Map.of());
            case "header-100k" -> Built.withHeaders("<script>" + "x".repeat(1000),
                    Map.of("X-Padding", "p".repeat(100_000)));
            case "headers-many" -> {
                Map<String, String> headers = new LinkedHashMap<>();
                for (int i = 0; i < 300; i++) {
                    headers.put("X-Padding-" + i, "p".repeat(64));
                }
                yield Built.withHeaders(null, headers);
            }
            case "header-malformed" -> Built.withHeaders(null, Map.of("Bad Name", "1"));
            case "target-invalid-chars" -> new Built("/v1/captions?prompt=<a|b>", null, bytes(png()), null, png(),
                    Map.of());
            case "json-many-images" -> new Built(null, HttpRequest.BodyPublishers.ofString(
                    "{\"image\":[" + String.join(",", Collections.nCopies(100, "\"" + b64 + "\"")) + "]}"));
            case "json-deep-nesting" -> new Built(null, HttpRequest.BodyPublishers.ofString(
                    "{\"image\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}"));
            case "json-invalid-utf8" -> {
                ByteArrayOutputStream o = new ByteArrayOutputStream();
                o.writeBytes(("{\"image\":\"" + b64 + "\",\"prompt\":\"Q: ").getBytes(StandardCharsets.UTF_8));
                o.writeBytes(new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF});
                o.writeBytes("\"}".getBytes(StandardCharsets.UTF_8));
                yield new Built(null, bytes(o.toByteArray()));
            }
            case "json-valid-data-url" -> new Built(null, HttpRequest.BodyPublishers.ofString(
                    "{\"image\":\"data:image/png;base64," + Base64.getMimeEncoder().encodeToString(png())
                            .replace("\r\n", "\\r\\n") + "\"}"));
            case "json-valid-url-safe" -> new Built(null, HttpRequest.BodyPublishers.ofString(
                    "{\"image\":\"" + Base64.getUrlEncoder().encodeToString(png()) + "\"}"));
            case "json-max-new-tokens-float" -> new Built(null, HttpRequest.BodyPublishers.ofString(
                    "{\"image\":\"" + b64 + "\",\"max_new_tokens\":1e300}"));
            case "precision-200-chars" -> new Built("/v1/captions?precision=" + "p".repeat(200), null, bytes(png()), null);
            case "compare-100-precisions" -> {
                List<String> names = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    names.add("p" + i);
                }
                yield new Built("/v1/captions:compare?precisions=" + String.join(",", names), null, bytes(png()), null);
            }
            case "request-id-hostile" -> new Built(null, null, bytes(png()), "<script>" + "x".repeat(1000));
            default -> throw new IllegalArgumentException("no code for " + c.body());
        };
    }

    /** 40 requests at once; each must be 200, or 429/503 with Retry-After. Returns a 200 if there is one. */
    HttpResponse<String> manyConcurrent(Case c) throws Exception {
        byte[] png = png();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<String>>> futures = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                futures.add(pool.submit(() -> send(HttpRequest.newBuilder(uri(c.path()))
                        .header("Content-Type", "image/png").POST(bytes(png)))));
            }
            HttpResponse<String> chosen = null;
            int ok = 0;
            for (Future<HttpResponse<String>> f : futures) {
                HttpResponse<String> r = f.get();
                assertThat(r.statusCode()).as(r.body()).isIn(200, 429, 503);
                if (r.statusCode() == 200) {
                    ok++;
                    chosen = chosen == null ? r : chosen;
                } else {
                    assertThat(r.headers().firstValue("Retry-After")).isPresent();
                }
            }
            assertThat(ok).as("some of 40 concurrent requests succeed").isPositive();
            return chosen;
        }
    }
}
