package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code /v1/live} on the real service (random port, the real engine on shapes-blip2 fp32 and fp16) through the JDK's
 * WebSocket client: captions equal to {@code POST /v1/captions}, a message only when the caption changes, unchanged
 * scenes skipped, the newest frame winning over frames sent while the session is busy, bad frames answered with
 * problems while the session goes on, bad parameters refused, plain HTTP and other origins refused, the session cap,
 * a frame over the size limit, a client that drops its connection and one that stops reading. Nothing here is timed: {@code {"type":"status"}} answers once
 * every frame sent before it was handled, so the counts it returns are the test's synchronisation.
 */
class LiveEndpointTest extends RealServiceTest {

    private static final Path A = IMAGE; // eval-0000: a blue triangle above a purple diamond, white background
    private static final Path B = Path.of("data/shapes-blip2/eval/images/eval-0005.png"); // orange triangle, black
    private static final Path C = Path.of("data/shapes-blip2/eval/images/eval-0006.png"); // purple square, white

    private byte[] a;
    private byte[] b;
    private byte[] c;

    @BeforeEach
    void frames() throws Exception {
        a = Files.readAllBytes(A);
        b = Files.readAllBytes(B);
        c = Files.readAllBytes(C);
        awaitNoLiveSessions();
    }

    @Test
    void captionsAsTheApiDoesAndOnlyWhenTheSceneAndTheCaptionChange() throws Exception {
        String captionA = apiCaption(a, "fp16");
        String captionB = apiCaption(b, "fp16");
        assertThat(captionB).isNotEqualTo(captionA);
        double captionsBefore = captionRequests("fp16");
        try (LiveClient live = LiveClient.open(http, live("?precision=fp16"))) {
            JsonNode ready = live.next("ready");
            assertThat(ready.path("model").asString()).isEqualTo("shapes-blip2");
            assertThat(ready.path("precision").asString()).isEqualTo("fp16");
            assertThat(ready.path("scene_threshold").asDouble()).isEqualTo(0.02);

            live.send(a);
            JsonNode first = live.next("caption");
            assertThat(first.path("caption").asString()).isEqualTo(captionA);
            assertThat(first.path("frame").asLong()).isEqualTo(1);
            assertThat(first.path("frames").path("received").asLong()).isEqualTo(1);
            assertThat(first.path("frames").path("captioned").asLong()).isEqualTo(1);
            JsonNode t = first.path("timings_ms");
            assertThat(t.path("glass_to_caption").asDouble()).isPositive().isGreaterThanOrEqualTo(t.path("caption").asDouble());
            assertThat(t.path("vision").asDouble()).isPositive();

            // The same scene again, re-encoded with sensor noise, then byte for byte: skipped, no message.
            live.send(noisyJpeg(a));
            live.send(a);
            JsonNode status = live.status();
            assertThat(status.path("frames").path("received").asLong()).isEqualTo(3);
            assertThat(status.path("frames").path("skipped").asLong() + status.path("frames").path("dropped").asLong())
                    .isEqualTo(2);
            assertThat(status.path("frames").path("skipped").asLong()).isPositive();
            assertThat(status.path("frames").path("captioned").asLong()).isEqualTo(1);
            assertThat(status.path("caption").asString()).isEqualTo(captionA);

            live.send(b);
            JsonNode second = live.next("caption");
            assertThat(second.path("caption").asString()).isEqualTo(captionB);
            assertThat(second.path("frame").asLong()).isEqualTo(4);
            assertThat(second.path("frames").path("captioned").asLong()).isEqualTo(2);
            assertThat(second.path("scene_difference").asDouble()).isGreaterThanOrEqualTo(0.02);
            assertThat(live.unread()).isZero();
        }
        // Live frames went through the variant's queue: they count as caption requests.
        assertThat(captionRequests("fp16") - captionsBefore).isEqualTo(2);
    }

    @Test
    void aFrameCaptionedAgainWithTheSameCaptionSendsNoMessage() throws Exception {
        try (LiveClient live = LiveClient.open(http, live("?precision=fp32&scene_threshold=0"))) {
            assertThat(live.next("ready").path("scene_threshold").asDouble()).isZero();
            live.send(a);
            String caption = live.next("caption").path("caption").asString();
            live.send(a);
            JsonNode status = live.status();
            // Threshold 0 skips nothing: the frame was captioned again, to the same caption, and nothing was sent.
            assertThat(status.path("frames").path("captioned").asLong()
                    + status.path("frames").path("dropped").asLong()).isEqualTo(2);
            assertThat(status.path("frames").path("skipped").asLong()).isZero();
            assertThat(status.path("caption").asString()).isEqualTo(caption);
            assertThat(live.unread()).isZero();
        }
    }

    @Test
    void theNewestFrameWinsAndFramesSentWhileBusyAreDropped() throws Exception {
        String captionC = apiCaption(c, "fp32");
        List<byte[]> scenes = List.of(a, b, c);
        int sent = 30;
        try (LiveClient live = LiveClient.open(http, live("?precision=fp32&scene_threshold=0"))) {
            live.next("ready");
            for (int i = 0; i < sent; i++) {
                live.send(scenes.get(i % 3)); // frame 30 is c
            }
            live.sendText("{\"type\":\"status\"}");
            List<JsonNode> captions = new ArrayList<>();
            JsonNode status;
            while (!(status = live.next()).path("type").asString().equals("status")) {
                captions.add(status);
            }
            JsonNode f = status.path("frames");
            assertThat(f.path("received").asLong()).isEqualTo(sent);
            assertThat(f.path("dropped").asLong() + f.path("skipped").asLong() + f.path("captioned").asLong()
                    + f.path("invalid").asLong() + f.path("failed").asLong()).isEqualTo(sent);
            // A caption takes far longer than sending a 2 KB frame: most frames arrived while the session was busy.
            assertThat(f.path("dropped").asLong()).isPositive();
            assertThat(f.path("captioned").asLong()).isLessThan(sent);
            // The last frame is never dropped: the last caption is its caption.
            assertThat(status.path("caption").asString()).isEqualTo(captionC);
            assertThat(captions).isNotEmpty().allSatisfy(m -> assertThat(m.path("type").asString()).isEqualTo("caption"));
            assertThat(captions.getLast().path("caption").asString()).isEqualTo(captionC);
            // none repeats its predecessor, frames only go forward
            for (int i = 1; i < captions.size(); i++) {
                assertThat(captions.get(i).path("caption").asString()).isNotEqualTo(captions.get(i - 1).path("caption").asString());
                assertThat(captions.get(i).path("frame").asLong()).isGreaterThan(captions.get(i - 1).path("frame").asLong());
            }
        }
    }

    @Test
    void badFramesAreAnsweredWithAProblemAndTheSessionGoesOn() throws Exception {
        try (LiveClient live = LiveClient.open(http, live(""))) {
            live.next("ready");
            live.send("not an image".getBytes(StandardCharsets.UTF_8));
            JsonNode error = live.next("error");
            assertThat(error.path("frame").asLong()).isEqualTo(1);
            assertThat(error.path("error").path("type").asString()).endsWith("/invalid-image");
            assertThat(error.path("error").path("status").asInt()).isEqualTo(422);
            assertThat(error.path("error").path("instance").asString()).isEqualTo("/v1/live");

            live.send(Arrays.copyOf(a, a.length / 2)); // a truncated PNG
            assertThat(live.next("error").path("error").path("status").asInt()).isEqualTo(422);

            live.sendText("hello");
            JsonNode text = live.next("error");
            assertThat(text.path("frame").isNull()).isTrue();
            assertThat(text.path("error").path("type").asString()).endsWith("/invalid-request");
            assertThat(text.path("error").path("detail").asString()).contains("binary");

            live.send(a);
            JsonNode caption = live.next("caption");
            assertThat(caption.path("frame").asLong()).isEqualTo(3);
            assertThat(caption.path("frames").path("invalid").asLong()).isEqualTo(2);
        }
    }

    @Test
    void aFrameOverTheSizeLimitClosesTheSessionWithTooBig() throws Exception {
        try (LiveClient live = LiveClient.open(http, live(""))) {
            live.next("ready");
            live.send(new byte[300 * 1024]); // blip2.live.max-frame-bytes is 256 KB here
            LiveClient.Close close = live.closed();
            assertThat(close.code()).isEqualTo(1009);
        }
    }

    @Test
    void badParametersAreAnsweredWithTheProblemAndAClose() throws Exception {
        try (LiveClient live = LiveClient.open(http, live("?precision=nope"))) {
            JsonNode error = live.next("error");
            assertThat(error.path("error").path("type").asString()).endsWith("/unknown-precision");
            assertThat(error.path("error").path("status").asInt()).isEqualTo(404);
            assertThat(error.path("error").path("available").toString()).contains("fp32", "fp16");
            LiveClient.Close close = live.closed();
            assertThat(close.code()).isEqualTo(1008);
            assertThat(close.reason()).contains("nope");
        }
        try (LiveClient live = LiveClient.open(http, live("?scene_threshold=2"))) {
            assertThat(live.next("error").path("error").path("parameter").asString()).isEqualTo("scene_threshold");
            assertThat(live.closed().code()).isEqualTo(1008);
        }
        try (LiveClient live = LiveClient.open(http, live("?max_new_tokens=0"))) {
            assertThat(live.next("error").path("error").path("status").asInt()).isEqualTo(400);
            assertThat(live.closed().code()).isEqualTo(1008);
        }
    }

    @Test
    void plainHttpAndOtherOriginsAreRefused() throws Exception {
        HttpResponse<String> plain = get("/v1/live?precision=fp32");
        assertThat(plain.statusCode()).isEqualTo(400);
        assertThat(plain.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("application/problem+json"));
        JsonNode problem = json.readTree(plain.body());
        assertThat(problem.path("type").asString()).endsWith("/invalid-request");
        assertThat(problem.path("detail").asString()).contains("WebSocket");

        // A page of another origin may not open a live session in its visitor's browser.
        java.util.concurrent.CompletableFuture<java.net.http.WebSocket> other = http.newWebSocketBuilder()
                .header("Origin", "http://elsewhere.example").buildAsync(live(""), new java.net.http.WebSocket.Listener() {
                });
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> other.get(LiveClient.WAIT.toSeconds(),
                        java.util.concurrent.TimeUnit.SECONDS))
                .hasCauseInstanceOf(java.net.http.WebSocketHandshakeException.class)
                .satisfies(e -> assertThat(((java.net.http.WebSocketHandshakeException) e.getCause()).getResponse()
                        .statusCode()).isEqualTo(403));
    }

    @Test
    void aQuestionStaysActiveForTheSession() throws Exception {
        String prompt = "Question: what color is the background? Answer:";
        String answerA = apiCaption(a, "fp32", prompt);
        String answerB = apiCaption(b, "fp32", prompt);
        assertThat(answerB).isNotEqualTo(answerA);
        try (LiveClient live = LiveClient.open(http, live("?prompt=" + java.net.URLEncoder.encode(prompt,
                StandardCharsets.UTF_8)))) {
            assertThat(live.next("ready").path("prompt").asString()).isEqualTo(prompt);
            live.send(a);
            assertThat(live.next("caption").path("caption").asString()).isEqualTo(answerA);
            live.send(b);
            assertThat(live.next("caption").path("caption").asString()).isEqualTo(answerB);
        }
    }

    @Test
    void sessionsPastTheCapAreClosedWithTryAgainLater() throws Exception {
        List<LiveClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) { // blip2.live.max-sessions is 3 here
                LiveClient live = LiveClient.open(http, live(""));
                live.next("ready");
                open.add(live);
            }
            try (LiveClient refused = LiveClient.open(http, live(""))) {
                LiveClient.Close close = refused.closed();
                assertThat(close.code()).isEqualTo(1013);
                assertThat(close.reason()).contains("limit").contains("3");
                assertThat(refused.unread()).isZero();
            }
            assertThat(Scrape.value(get("/actuator/prometheus").body(), "blip2_live_sessions", "precision=\"fp32\""))
                    .isEqualTo(3.0);
            // The sessions still work, and once one closes there is a place again.
            open.getFirst().send(a);
            open.getFirst().next("caption");
            open.removeFirst().close();
            awaitService(() -> {
                double n = Scrape.value(get("/actuator/prometheus").body(), "blip2_live_sessions", "precision=\"fp32\"");
                return n == 2.0 ? null : n + " sessions open";
            });
            LiveClient again = LiveClient.open(http, live(""));
            open.add(again);
            again.next("ready");
        } finally {
            open.forEach(LiveClient::close);
        }
        String refused = get("/actuator/prometheus").body().lines()
                .filter(l -> l.startsWith("blip2_live_sessions_refused_total ")).findFirst().orElseThrow();
        assertThat(Double.parseDouble(refused.substring(refused.indexOf(' ') + 1))).isGreaterThanOrEqualTo(1.0);
    }

    @Test
    void aClientThatDropsItsConnectionFreesItsSession() throws Exception {
        LiveClient gone = LiveClient.open(http, live(""));
        gone.next("ready");
        gone.send(a);
        gone.send(b);
        gone.abort(); // mid-caption, no closing handshake
        awaitNoLiveSessions();
        // The service goes on: a new session captions.
        try (LiveClient live = LiveClient.open(http, live(""))) {
            live.next("ready");
            live.send(c);
            assertThat(live.next("caption").path("caption").asString()).isEqualTo(apiCaption(c, "fp32"));
        }
    }

    @Test
    void aClientThatStopsReadingHoldsUpOnlyItself() throws Exception {
        try (LiveClient slow = LiveClient.notReading(http, live("?scene_threshold=0"));
             LiveClient other = LiveClient.open(http, live(""))) {
            for (int i = 0; i < 10; i++) {
                slow.send(i % 2 == 0 ? a : b);
            }
            other.next("ready");
            other.send(c);
            assertThat(other.next("caption").path("caption").asString()).isEqualTo(apiCaption(c, "fp32"));

            slow.startReading();
            assertThat(slow.next("ready").path("precision").asString()).isEqualTo("fp32");
            slow.sendText("{\"type\":\"status\"}");
            List<JsonNode> captions = new ArrayList<>();
            JsonNode m;
            while (!(m = slow.next()).path("type").asString().equals("status")) {
                captions.add(m);
            }
            JsonNode f = m.path("frames");
            assertThat(f.path("received").asLong()).isEqualTo(10);
            assertThat(f.path("dropped").asLong() + f.path("captioned").asLong()).isEqualTo(10);
            // What it missed waited for it as caption messages only, one per change, in frame order.
            assertThat(captions).isNotEmpty().allSatisfy(c -> assertThat(c.path("type").asString()).isEqualTo("caption"));
            assertThat(captions.size()).isLessThanOrEqualTo((int) f.path("captioned").asLong());
            for (int i = 1; i < captions.size(); i++) {
                assertThat(captions.get(i).path("frame").asLong()).isGreaterThan(captions.get(i - 1).path("frame").asLong());
            }
            assertThat(m.path("caption").asString()).isEqualTo(apiCaption(b, "fp32"));
        }
    }

    @Test
    void liveMetersCountFramesAndSessions() throws Exception {
        try (LiveClient live = LiveClient.open(http, live(""))) {
            live.next("ready");
            live.send(a);
            live.next("caption");
            live.send(a);
            live.status();
        }
        awaitNoLiveSessions();
        String scrape = get("/actuator/prometheus").body();
        String fp32 = "precision=\"fp32\"";
        assertThat(Scrape.value(scrape, "blip2_live_frames_received_total", fp32)).isGreaterThanOrEqualTo(2);
        for (String fate : List.of("dropped", "skipped", "captioned", "invalid", "failed")) {
            assertThat(Scrape.value(scrape, "blip2_live_frames_total", fp32, "fate=\"" + fate + "\""))
                    .as(fate).isNotNaN();
        }
        assertThat(Scrape.value(scrape, "blip2_live_frames_total", fp32, "fate=\"captioned\"")).isPositive();
        assertThat(Scrape.value(scrape, "blip2_live_frames_total", fp32, "fate=\"skipped\"")).isPositive();
        assertThat(Scrape.value(scrape, "blip2_live_captions_sent_total", fp32)).isPositive();
        assertThat(Scrape.value(scrape, "blip2_live_glass_to_caption_seconds_count", fp32)).isPositive();
        assertThat(Scrape.value(scrape, "blip2_live_sessions", fp32)).isZero();
    }

    // ------------------------------------------------------------------ helpers

    private URI live(String query) {
        return URI.create("ws://127.0.0.1:" + port + "/v1/live" + query);
    }

    private String apiCaption(byte[] png, String precision) throws Exception {
        return apiCaption(png, precision, "");
    }

    private String apiCaption(byte[] png, String precision, String prompt) throws Exception {
        HttpResponse<String> r = send(postPng("/v1/captions?precision=" + precision + "&prompt="
                + java.net.URLEncoder.encode(prompt, StandardCharsets.UTF_8), png));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json.readTree(r.body()).path("captions").get(0).path("text").asString();
    }

    private double captionRequests(String precision) throws Exception {
        String scrape = get("/actuator/prometheus").body();
        double v = Scrape.value(scrape, "blip2_caption_latency_seconds_count", "api=\"live\"", "precision=\"" + precision + "\"",
                "outcome=\"success\"");
        return Double.isNaN(v) ? 0 : v;
    }

    /** The sessions of earlier tests have closed on the server's side too. */
    private void awaitNoLiveSessions() throws Exception {
        awaitService(() -> {
            String scrape = get("/actuator/prometheus").body();
            List<String> open = Scrape.lines(scrape, "blip2_live_sessions").stream()
                    .filter(l -> !l.endsWith(" 0.0")).toList();
            return open.isEmpty() ? null : "open: " + open;
        });
    }

    /** The same scene as the camera would send it again: sensor noise, JPEG. */
    private static byte[] noisyJpeg(byte[] png) throws IOException {
        BufferedImage src = ImageIO.read(new ByteArrayInputStream(png));
        BufferedImage img = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_RGB);
        Random random = new Random(18);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = src.getRGB(x, y);
                int r = noisy((p >> 16) & 0xff, random);
                int g = noisy((p >> 8) & 0xff, random);
                int bl = noisy(p & 0xff, random);
                img.setRGB(x, y, (r << 16) | (g << 8) | bl);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(img, "jpeg", out)).isTrue();
        return out.toByteArray();
    }

    private static int noisy(int v, Random random) {
        return (int) Math.max(0, Math.min(255, Math.round(v + random.nextGaussian() * 2)));
    }
}
