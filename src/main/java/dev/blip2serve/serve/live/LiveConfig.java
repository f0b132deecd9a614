package dev.blip2serve.serve.live;

import jakarta.servlet.ServletContext;
import jakarta.websocket.server.ServerContainer;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.context.ServletContextAware;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;

/**
 * Registers {@link LiveHandler} at {@code /v1/live}, for pages of this origin (a browser on another origin is refused
 * with 403; clients that send no {@code Origin}, as non-browser ones do, are let in), and sizes the container's
 * WebSocket buffers for camera frames: the container allocates a session's buffer when the connection opens, from
 * these defaults.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSocket
class LiveConfig implements WebSocketConfigurer, ServletContextAware {

    private final LiveHandler handler;
    private final LiveProperties live;

    LiveConfig(LiveHandler handler, LiveProperties live) {
        this.handler = handler;
        this.live = live;
    }

    @Override
    public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
        registry.addHandler(handler, LiveSession.PATH).setHandshakeHandler(new LiveHandshakeHandler());
    }

    /** Without a real server (MockMvc tests) there is no container to size. */
    @Override
    public void setServletContext(ServletContext context) {
        if (context.getAttribute(ServerContainer.class.getName()) instanceof ServerContainer container) {
            container.setDefaultMaxBinaryMessageBufferSize((int) live.maxFrameBytes().toBytes());
            container.setDefaultMaxTextMessageBufferSize(4096);
            container.setDefaultMaxSessionIdleTimeout(live.idleTimeout().toMillis());
        }
    }
}
