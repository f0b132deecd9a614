package dev.blip2serve.serve.live;

import dev.blip2serve.image.DecodedImage;
import dev.blip2serve.image.SceneThumbnail;
import dev.blip2serve.serve.caption.CaptionOptions;
import dev.blip2serve.serve.caption.CaptionResponse;
import dev.blip2serve.serve.caption.CaptionService;
import dev.blip2serve.serve.live.LiveMetrics.Fate;
import dev.blip2serve.serve.model.VariantKey;
import dev.blip2serve.serve.web.ApiException;
import dev.blip2serve.serve.web.ProblemType;
import dev.blip2serve.serve.web.Problems;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import tools.jackson.databind.json.JsonMapper;

/**
 * One open {@code /v1/live} connection. The connection's receiving thread only counts a frame and puts it in the
 * {@link FrameSlot} (replacing, and so dropping, a frame still waiting there); the session's own virtual thread takes
 * the newest frame, decodes it, skips it when its scene has not changed since the last captioned frame, otherwise
 * captions it through the shared {@link CaptionService} (the variant's queue and micro-batcher), and sends a caption
 * message only when the caption differs from the last one sent. So a session holds at most one waiting frame and one
 * being handled, and a client that reads slowly only slows its own session (its frames are dropped meanwhile).
 */
final class LiveSession {

    private static final Logger LOG = LoggerFactory.getLogger(LiveSession.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final String PATH = "/v1/live";

    private final String id;
    private final WebSocketSession socket;
    private final VariantKey key;
    private final CaptionOptions options;
    private final double threshold;
    private final CaptionService captions;
    private final LiveMetrics metrics;
    private final FrameSlot slot = new FrameSlot();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    // Written by the worker only; read by it for messages.
    private long skipped;
    private long captioned;
    private long invalid;
    private long failed;
    private SceneThumbnail lastScene;
    private String lastCaption;
    private Thread worker;

    /** @param socket a session whose sends may come from several threads (a concurrent decorator) */
    LiveSession(String id, WebSocketSession socket, VariantKey key, CaptionOptions options, double threshold,
                CaptionService captions, LiveMetrics metrics) {
        this.id = id;
        this.socket = socket;
        this.key = key;
        this.options = options;
        this.threshold = threshold;
        this.captions = captions;
        this.metrics = metrics;
    }

    VariantKey key() {
        return key;
    }

    /** Sends the ready message and starts the session's worker. */
    void start(long maxFrameBytes) {
        send(new LiveMessages.Ready(id, key.model(), key.variant(), options.prompt(), threshold, maxFrameBytes));
        worker = Thread.ofVirtual().name("blip2-live-" + id).start(this::work);
    }

    /** A binary message: the newest frame, replacing one still waiting. Called by the receiving thread. */
    void offer(byte[] bytes) {
        long seq = received.incrementAndGet();
        metrics.received(key, 1);
        if (slot.put(new FrameSlot.Frame(seq, bytes, System.nanoTime())) != null) {
            dropped.incrementAndGet();
            metrics.frames(key, Fate.DROPPED, 1);
        }
    }

    /** A text message: {@code {"type":"status"}} asks for the counts; anything else is answered with an error. */
    void text(String payload) {
        String type;
        try {
            type = JSON.readTree(payload).path("type").asString("");
        } catch (RuntimeException e) {
            type = "";
        }
        if (type.equals("status")) {
            slot.requestStatus();
        } else {
            sendError(null, new ApiException(ProblemType.INVALID_REQUEST, "send frames as binary messages (JPEG, PNG "
                    + "or WebP); the only text message is {\"type\":\"status\"}"));
        }
    }

    /** The connection closed: the worker stops after the frame it is handling (whose result is dropped). */
    void close() {
        slot.close();
        if (worker != null) {
            worker.interrupt();
        }
    }

    private void work() {
        try {
            while (socket.isOpen()) {
                FrameSlot.Work w = slot.take();
                if (w == null) {
                    return;
                }
                if (w.frame() != null) {
                    handle(w.frame());
                }
                if (w.status()) {
                    send(new LiveMessages.Status(frames(), lastCaption));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("live session {} failed", id, e);
            closeSocket(CloseStatus.SERVER_ERROR.withReason("the live session failed; see the server log"));
        }
    }

    private void handle(FrameSlot.Frame frame) {
        long t0 = System.nanoTime();
        DecodedImage image;
        try {
            image = captions.decodeFrame(frame.bytes());
        } catch (RuntimeException e) {
            if (!socket.isOpen()) {
                return; // the client left while its frame waited for a decoding permit
            }
            invalid++;
            metrics.frames(key, Fate.INVALID, 1);
            sendError(frame.seq(), e);
            return;
        }
        long decodeNanos = System.nanoTime() - t0;
        SceneThumbnail scene = SceneThumbnail.of(image);
        double difference = lastScene == null ? 1.0 : scene.difference(lastScene);
        if (lastScene != null && difference < threshold) {
            skipped++;
            metrics.frames(key, Fate.SKIPPED, 1);
            return;
        }
        CaptionResponse r;
        try {
            r = captions.caption(image, decodeNanos, options, id + "-" + frame.seq());
        } catch (RuntimeException e) {
            if (!socket.isOpen()) {
                return; // the client left while its frame was captioned
            }
            // The scene is not marked as captioned: the next frame is tried again.
            failed++;
            metrics.frames(key, Fate.FAILED, 1);
            sendError(frame.seq(), e);
            return;
        }
        captioned++;
        metrics.frames(key, Fate.CAPTIONED, 1);
        lastScene = scene;
        String text = r.captions().getFirst().text();
        if (text.equals(lastCaption)) {
            return;
        }
        lastCaption = text;
        CaptionResponse.Timings t = r.timingsMs();
        long glass = System.nanoTime() - frame.receivedNanos();
        send(new LiveMessages.Caption(text, frame.seq(), Math.round(difference * 1e6) / 1e6,
                new LiveMessages.Timings(Math.round(glass / 1_000.0) / 1_000.0, t.queue(), t.preprocess(), t.vision(),
                        t.prefill(), t.decode(), t.total()), frames(), r.batchSize()));
        metrics.captionSent(key, 1);
        metrics.glassToCaption(key, System.nanoTime() - frame.receivedNanos());
    }

    private LiveMessages.Frames frames() {
        return new LiveMessages.Frames(received.get(), dropped.get(), skipped, captioned, invalid, failed);
    }

    private void sendError(Long frame, Throwable e) {
        send(new LiveMessages.Error(frame, Problems.asMap(Problems.of(e, frame == null ? id : id + "-" + frame, PATH))));
    }

    /** Sends one message; a client that cannot take it (gone, or not reading within the send timeout) is closed. */
    private void send(Object message) {
        if (!socket.isOpen()) {
            return;
        }
        try {
            socket.sendMessage(new TextMessage(JSON.writeValueAsString(message)));
        } catch (IOException | RuntimeException e) {
            LOG.debug("live session {}: sending failed ({}); closing it", id, e.toString());
            closeSocket(CloseStatus.SESSION_NOT_RELIABLE.withReason("the client did not take a message in time"));
        }
    }

    private void closeSocket(CloseStatus status) {
        slot.close();
        try {
            socket.close(status);
        } catch (IOException e) {
            // already gone
        }
    }
}
