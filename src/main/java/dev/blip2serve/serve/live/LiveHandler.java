package dev.blip2serve.serve.live;

import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.caption.CaptionOptions;
import dev.blip2serve.serve.caption.CaptionService;
import dev.blip2serve.serve.model.VariantKey;
import dev.blip2serve.serve.web.ApiException;
import dev.blip2serve.serve.web.Problems;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.adapter.NativeWebSocketSession;
import org.springframework.web.socket.handler.AbstractWebSocketHandler;
import org.springframework.web.socket.handler.ConcurrentWebSocketSessionDecorator;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code /v1/live}: opens a {@link LiveSession} per connection, within {@code blip2.live.max-sessions}. The query
 * string takes the parameters of {@code /v1/captions} ({@code model}, {@code precision}, {@code prompt}, ...) and
 * {@code scene_threshold}; bad ones are answered with an error message (the problem {@code /v1/captions} would give)
 * and the connection is closed with 1008 (policy violation). Past the cap a connection is closed at once with 1013
 * (try again later) and a reason saying so.
 */
@Component
public class LiveHandler extends AbstractWebSocketHandler {

    /** Close code of RFC 6455 for "try again later", which Spring has no constant for. */
    static final int TRY_AGAIN_LATER = 1013;
    /** A close reason is at most 123 bytes of UTF-8. */
    private static final int MAX_REASON_BYTES = 123;
    private static final String SESSION = "blip2.live.session";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final ServeProperties properties;
    private final LiveProperties live;
    private final CaptionService captions;
    private final LiveMetrics metrics;
    private final AtomicInteger places = new AtomicInteger();
    private final Map<String, WebSocketSession> open = new ConcurrentHashMap<>();

    public LiveHandler(ServeProperties properties, LiveProperties live, CaptionService captions, LiveMetrics metrics) {
        this.properties = properties;
        this.live = live;
        this.captions = captions;
        this.metrics = metrics;
    }

    @Override
    public void afterConnectionEstablished(WebSocketSession session) throws IOException {
        if (places.incrementAndGet() > live.maxSessions()) {
            places.decrementAndGet();
            metrics.refused();
            session.close(new CloseStatus(TRY_AGAIN_LATER, "live session limit reached (" + live.maxSessions()
                    + " open); try again later"));
            return;
        }
        session.getAttributes().put(SESSION, Boolean.TRUE); // holds a place until it closes
        limits(session);
        WebSocketSession socket = new ConcurrentWebSocketSessionDecorator(session,
                (int) live.sendTimeout().toMillis(), 256 * 1024);
        String id = UUID.randomUUID().toString();
        CaptionOptions options;
        double threshold;
        VariantKey key;
        try {
            Map<String, String> query = query(session.getUri());
            options = CaptionOptions.parse(query::get, properties);
            threshold = threshold(query.get("scene_threshold"));
            key = captions.checkLive(options);
        } catch (ApiException e) {
            socket.sendMessage(new TextMessage(JSON.writeValueAsString(
                    new LiveMessages.Error(null, Problems.asMap(Problems.of(e, id, LiveSession.PATH))))));
            session.close(CloseStatus.POLICY_VIOLATION.withReason(clip(e.getMessage())));
            return;
        }
        LiveSession s = new LiveSession(id, socket, key, options, threshold, captions, metrics);
        session.getAttributes().put(SESSION, s);
        open.put(session.getId(), session);
        metrics.opened(key);
        s.start(live.maxFrameBytes().toBytes());
    }

    @Override
    protected void handleBinaryMessage(WebSocketSession session, BinaryMessage message) {
        if (session.getAttributes().get(SESSION) instanceof LiveSession s) {
            ByteBuffer payload = message.getPayload();
            byte[] bytes = new byte[payload.remaining()];
            payload.get(bytes);
            s.offer(bytes);
        }
    }

    @Override
    protected void handleTextMessage(WebSocketSession session, TextMessage message) {
        if (session.getAttributes().get(SESSION) instanceof LiveSession s) {
            s.text(message.getPayload());
        }
    }

    @Override
    public void handleTransportError(WebSocketSession session, Throwable exception) throws IOException {
        if (session.isOpen()) {
            session.close(CloseStatus.SERVER_ERROR.withReason("transport error"));
        }
    }

    @Override
    public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
        Object held = session.getAttributes().remove(SESSION);
        if (held == null) {
            return; // refused at the cap: it never held a place
        }
        places.decrementAndGet();
        open.remove(session.getId());
        if (held instanceof LiveSession s) {
            s.close();
            metrics.closed(s.key());
        }
    }

    /** At shutdown every live client is told why it is closed (1001, going away). */
    @PreDestroy
    void closeAll() {
        for (WebSocketSession s : List.copyOf(open.values())) {
            try {
                s.close(CloseStatus.GOING_AWAY.withReason("the service is shutting down"));
            } catch (IOException e) {
                // gone already
            }
        }
    }

    /** Frame size, idle time and the blocking-send bound, on the container's own session. */
    private void limits(WebSocketSession session) {
        session.setBinaryMessageSizeLimit((int) live.maxFrameBytes().toBytes());
        session.setTextMessageSizeLimit(4096);
        if (session instanceof NativeWebSocketSession n && n.getNativeSession() instanceof jakarta.websocket.Session ws) {
            ws.setMaxIdleTimeout(live.idleTimeout().toMillis());
            // Tomcat's bound on one blocking write: a client that stops reading is closed after it.
            ws.getUserProperties().put("org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT", live.sendTimeout().toMillis());
        }
    }

    private double threshold(String value) {
        if (value == null || value.isBlank()) {
            return live.sceneThreshold();
        }
        double t;
        try {
            t = Double.parseDouble(value.strip());
        } catch (NumberFormatException e) {
            throw ApiException.invalidParameter("scene_threshold", "scene_threshold must be a number between 0 and 1");
        }
        if (!(t >= 0 && t <= 1)) {
            throw ApiException.invalidParameter("scene_threshold", "scene_threshold must be between 0 and 1, got "
                    + value.strip());
        }
        return t;
    }

    /** The query string's parameters, percent-decoded; the first value of a repeated name. */
    private static Map<String, String> query(URI uri) {
        Map<String, String> params = new HashMap<>();
        String raw = uri == null ? null : uri.getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            params.putIfAbsent(name, value);
        }
        return params;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalidParameter("query", "the query string is not valid percent-encoding");
        }
    }

    private static String clip(String reason) {
        byte[] utf8 = reason.getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= MAX_REASON_BYTES) {
            return reason;
        }
        String cut = new String(utf8, 0, MAX_REASON_BYTES - 3, StandardCharsets.UTF_8);
        // a split multi-byte character decodes to U+FFFD, which is 3 bytes: drop it
        while (cut.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES - 3) {
            cut = cut.substring(0, cut.length() - 1);
        }
        return cut + "...";
    }
}
