// Live captioning bench: a camera-like client of a running service's /v1/live, per precision. Single-file program
// (JDK + Jackson from the project's class path), run by docs/benchmarks/live.sh:
//   java -cp $(cat target/cp.txt) docs/benchmarks/LiveBench.java ws://127.0.0.1:PORT/v1/live IMAGES_DIR \
//        PRECISIONS FPS SECONDS OUT_JSON
// For each precision and frame rate: one session with scene_threshold=0 (nothing skipped: every frame the session
// gets to is captioned), frames sent at FPS for SECONDS, each frame a different eval image (so consecutive captions
// differ and nearly every captioned frame sends a message). Measures, per caption message: the server's
// glass_to_caption (frame receipt to message sent) and the client's (frame sent to message received, loopback);
// per session: the frames captioned per second (what a live session sustains), dropped and received counts.

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

public class LiveBench {

    static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    public static void main(String[] args) throws Exception {
        String url = args[0];
        List<byte[]> frames = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of(args[1]))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".png")).sorted().limit(100).toList()) {
                frames.add(Files.readAllBytes(p));
            }
        }
        String[] precisions = args[2].split(",");
        String[] rates = args[3].split(",");
        int seconds = Integer.parseInt(args[4]);
        List<Map<String, Object>> rows = new ArrayList<>();
        HttpClient http = HttpClient.newHttpClient();
        for (String precision : precisions) {
            for (String rate : rates) {
                Map<String, Object> row = run(http, url + "?precision=" + precision + "&scene_threshold=0", frames,
                        Double.parseDouble(rate), seconds);
                row.put("precision", precision);
                rows.add(row);
                System.err.println(JSON.writeValueAsString(row));
            }
        }
        Files.writeString(Path.of(args[5]), JSON.writeValueAsString(rows));
    }

    static Map<String, Object> run(HttpClient http, String url, List<byte[]> frames, double fps, int seconds)
            throws Exception {
        BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
        Map<Long, Long> sentAt = new ConcurrentHashMap<>();
        Map<Long, Long> receivedAt = new ConcurrentHashMap<>();
        StringBuilder partial = new StringBuilder();
        WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(url), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    JsonNode m = JSON.readTree(partial.toString());
                    partial.setLength(0);
                    if (m.path("type").asString().equals("caption")) {
                        receivedAt.put(m.path("frame").asLong(), System.nanoTime());
                    }
                    messages.add(m);
                }
                w.request(1);
                return null;
            }
        }).get(30, TimeUnit.SECONDS);
        JsonNode ready = messages.poll(60, TimeUnit.SECONDS);
        if (ready == null || !ready.path("type").asString().equals("ready")) {
            throw new IllegalStateException("no ready message: " + ready);
        }
        long period = (long) (1e9 / fps);
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        long seq = 0;
        for (long next = start; next < end; next += period) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            seq++;
            sentAt.put(seq, System.nanoTime());
            ws.sendBinary(ByteBuffer.wrap(frames.get((int) ((seq - 1) % frames.size()))), true).get(30, TimeUnit.SECONDS);
        }
        ws.sendText("{\"type\":\"status\"}", true).get(30, TimeUnit.SECONDS);
        List<Double> server = new ArrayList<>();
        List<Double> client = new ArrayList<>();
        JsonNode status = null;
        while (status == null) {
            JsonNode m = messages.poll(120, TimeUnit.SECONDS);
            if (m == null) {
                throw new IllegalStateException("no status message");
            }
            switch (m.path("type").asString()) {
                case "caption" -> {
                    server.add(m.path("timings_ms").path("glass_to_caption").asDouble());
                    long f = m.path("frame").asLong();
                    client.add((receivedAt.get(f) - sentAt.get(f)) / 1e6);
                }
                case "status" -> status = m;
                default -> throw new IllegalStateException("unexpected message: " + m);
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(30, TimeUnit.SECONDS);
        JsonNode f = status.path("frames");
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("fps_sent", fps);
        row.put("seconds", Math.round(elapsed * 100) / 100.0);
        row.put("frames_received", f.path("received").asLong());
        row.put("frames_captioned", f.path("captioned").asLong());
        row.put("frames_dropped", f.path("dropped").asLong());
        row.put("frames_failed", f.path("failed").asLong() + f.path("invalid").asLong());
        row.put("captions_sent", server.size());
        row.put("captioned_per_second", Math.round(f.path("captioned").asLong() / elapsed * 100) / 100.0);
        row.put("glass_to_caption_ms_p50", percentile(server, 0.50));
        row.put("glass_to_caption_ms_p95", percentile(server, 0.95));
        row.put("client_frame_to_message_ms_p50", percentile(client, 0.50));
        row.put("client_frame_to_message_ms_p95", percentile(client, 0.95));
        return row;
    }

    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        double v = sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1));
        return Math.round(v * 10) / 10.0;
    }
}
