package dev.blip2serve.hub;

import java.time.Duration;

/** What a pull reports while it runs: bytes of each file, and retries. Called from the downloading thread. */
public interface HubListener {

    /** {@code done} of {@code total} bytes of {@code file} are on disk; {@code total} is -1 when unknown. */
    void progress(String file, long done, long total);

    /** A request failed in a way worth retrying; the next attempt starts after {@code wait}. */
    default void retrying(String what, int attempt, Duration wait, String reason) {
    }

    HubListener NONE = (file, done, total) -> { };
}
