package dev.blip2serve.serve;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real WebSocket client of {@code /v1/live} (the JDK's {@link WebSocket}): collects the text messages as JSON in
 * arrival order and the close the server sent. A client opened not reading takes no message until
 * {@link #startReading()}, as a client that has stopped reading its socket. Every wait is bounded.
 */
public final class LiveClient implements AutoCloseable {

    /** A bound on waiting for an answer on a loaded 2-core machine, not a latency check. */
    public static final Duration WAIT = Duration.ofMinutes(2);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    public record Close(int code, String reason) {
    }

    private final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private final WebSocket socket;

    private LiveClient(HttpClient http, URI uri, boolean reading) throws Exception {
        WebSocket.Listener listener = new WebSocket.Listener() {
            @Override
            public void onOpen(WebSocket ws) {
                if (reading) {
                    ws.request(1);
                }
            }

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    messages.add(JSON.readTree(partial.toString()));
                    partial.setLength(0);
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                closed.complete(new Close(code, reason));
                return null;
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                closed.completeExceptionally(error);
            }
        };
        this.socket = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10)).buildAsync(uri, listener)
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    public static LiveClient open(HttpClient http, URI uri) throws Exception {
        return new LiveClient(http, uri, true);
    }

    /**
     * The dashboard tests' live session: a frame captioned, the same frame again skipped, the counts checked.
     *
     * @throws IOException when the session fails
     */
    public static void captionThenSkip(HttpClient http, URI uri, byte[] frame) throws IOException, InterruptedException {
        try (LiveClient live = open(http, uri)) {
            live.next("ready");
            live.send(frame);
            live.next("caption");
            live.send(frame);
            long skipped = live.status().path("frames").path("skipped").asLong();
            if (skipped != 1) {
                throw new IOException("the repeated frame was not skipped (skipped: " + skipped + ")");
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("the live session failed", e);
        }
    }

    /** A client that reads nothing until {@link #startReading()}. */
    public static LiveClient notReading(HttpClient http, URI uri) throws Exception {
        return new LiveClient(http, uri, false);
    }

    public void startReading() {
        socket.request(1);
    }

    public void send(byte[] frame) throws Exception {
        socket.sendBinary(ByteBuffer.wrap(frame), true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    public void sendText(String text) throws Exception {
        socket.sendText(text, true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** The next message, whatever its type. */
    public JsonNode next() throws InterruptedException {
        JsonNode m = messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        if (m == null) {
            throw new AssertionError("no message within " + WAIT + (closed.isDone() ? "; closed: " + closed.join() : ""));
        }
        return m;
    }

    /** The next message, which must be of this type. */
    public JsonNode next(String type) throws InterruptedException {
        JsonNode m = next();
        if (!m.path("type").asString().equals(type)) {
            throw new AssertionError("expected a '" + type + "' message, got " + m);
        }
        return m;
    }

    /** Asks for the counts and returns the answer: every frame sent before was handled by then. */
    public JsonNode status() throws Exception {
        sendText("{\"type\":\"status\"}");
        return next("status");
    }

    /** Messages that arrived and were not read yet. */
    public int unread() {
        return messages.size();
    }

    /** The close the server sent. */
    public Close closed() throws Exception {
        return closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Drops the connection without a closing handshake, as a phone that loses its network. */
    public void abort() {
        socket.abort();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
        }
        try {
            closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            socket.abort();
        }
    }
}
