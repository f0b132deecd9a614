package dev.blip2serve.serve.live;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Live captioning settings, {@code blip2.live.*}.
 *
 * @param maxSessions    live sessions open at once; one more is closed at once with 1013 (try again later)
 * @param maxFrameBytes  largest frame (one binary message); a larger one closes the session with 1009 (too big)
 * @param sceneThreshold a frame whose {@link dev.blip2serve.image.SceneThumbnail} differs from the last captioned
 *                       frame's by less than this (0..1) is skipped; a session may ask for its own
 *                       ({@code scene_threshold}); 0 captions every frame
 * @param sendTimeout    longest a message to the client may take to write; a client that reads no more is closed
 * @param idleTimeout    a session that sends nothing for this long is closed
 */
@ConfigurationProperties("blip2.live")
public record LiveProperties(
        @DefaultValue("16") int maxSessions,
        @DefaultValue("4MB") DataSize maxFrameBytes,
        @DefaultValue("0.02") double sceneThreshold,
        @DefaultValue("10s") Duration sendTimeout,
        @DefaultValue("5m") Duration idleTimeout) {

    public LiveProperties {
        if (maxSessions < 0) {
            throw new IllegalArgumentException("blip2.live.max-sessions must not be negative, got " + maxSessions);
        }
        if (maxFrameBytes.toBytes() < 1 || maxFrameBytes.toBytes() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("blip2.live.max-frame-bytes must be between 1 byte and 2 GB, got "
                    + maxFrameBytes);
        }
        if (!(sceneThreshold >= 0 && sceneThreshold <= 1)) {
            throw new IllegalArgumentException("blip2.live.scene-threshold must be between 0 and 1, got " + sceneThreshold);
        }
        if (sendTimeout.isNegative() || sendTimeout.isZero() || idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("blip2.live.send-timeout and idle-timeout must be positive");
        }
    }
}
