package dev.blip2serve.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where and how to reach the hub, read from the same environment variables as huggingface_hub, with its defaults.
 *
 * @param endpoint   {@code HF_ENDPOINT}, default {@code https://huggingface.co}
 * @param cacheDir   {@code HF_HUB_CACHE} (or the older {@code HUGGINGFACE_HUB_CACHE}), default {@code $HF_HOME/hub};
 *                   {@code HF_HOME} defaults to {@code $XDG_CACHE_HOME/huggingface}, then {@code ~/.cache/huggingface}
 * @param token      {@code HF_TOKEN} (or {@code HUGGING_FACE_HUB_TOKEN}), else the file {@code HF_TOKEN_PATH}, default
 *                   {@code $HF_HOME/token}; null when none
 * @param offline    {@code HF_HUB_OFFLINE} is 1/ON/YES/TRUE: no request at all, only the cache
 * @param timeout    connect, header and per-read timeout of each request ({@code HF_HUB_DOWNLOAD_TIMEOUT}, seconds,
 *                   default 10): a body that sends nothing for that long counts as a dropped connection
 * @param retries    attempts after the first on 429, 5xx, timeouts and dropped connections
 * @param firstWait  wait before the first retry; doubles each time up to {@code maxWait}
 * @param maxWait    longest wait between two attempts (also caps a {@code Retry-After})
 */
public record HubSettings(URI endpoint, Path cacheDir, String token, boolean offline, Duration timeout, int retries,
                          Duration firstWait, Duration maxWait) {

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Set<String> TRUE = Set.of("1", "ON", "YES", "TRUE");

    public HubSettings {
        String e = endpoint.toString();
        if (e.endsWith("/")) {
            endpoint = URI.create(e.substring(0, e.length() - 1));
        }
        if (token != null && token.isBlank()) {
            token = null;
        }
    }

    /** The settings of this process's environment. */
    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** The settings an environment gives (a map, so tests need not change the process's). */
    public static HubSettings fromEnvironment(Map<String, String> env, Path userHome) {
        Path hfHome = path(env, "HF_HOME");
        if (hfHome == null) {
            Path xdg = path(env, "XDG_CACHE_HOME");
            hfHome = (xdg != null ? xdg : userHome.resolve(".cache")).resolve("huggingface");
        }
        Path cache = path(env, "HF_HUB_CACHE");
        if (cache == null) {
            cache = path(env, "HUGGINGFACE_HUB_CACHE");
        }
        if (cache == null) {
            cache = hfHome.resolve("hub");
        }
        String token = value(env, "HF_TOKEN");
        if (token == null) {
            token = value(env, "HUGGING_FACE_HUB_TOKEN");
        }
        if (token == null) {
            Path tokenFile = path(env, "HF_TOKEN_PATH");
            token = readToken(tokenFile != null ? tokenFile : hfHome.resolve("token"));
        }
        String endpoint = value(env, "HF_ENDPOINT");
        boolean offline = TRUE.contains(String.valueOf(value(env, "HF_HUB_OFFLINE")).toUpperCase(Locale.ROOT));
        String timeout = value(env, "HF_HUB_DOWNLOAD_TIMEOUT");
        Duration t;
        try {
            t = timeout == null ? Duration.ofSeconds(10) : Duration.ofMillis((long) (Double.parseDouble(timeout) * 1000));
        } catch (NumberFormatException e) {
            t = Duration.ZERO;
        }
        if (!t.isPositive()) { // also NaN, which the cast makes 0
            throw new HubException(HubException.Kind.BAD_INPUT, "HF_HUB_DOWNLOAD_TIMEOUT must be a positive number of "
                    + "seconds, got '" + timeout + "'");
        }
        return new HubSettings(URI.create(endpoint != null ? endpoint : DEFAULT_ENDPOINT), cache, token, offline, t,
                5, Duration.ofSeconds(1), Duration.ofSeconds(8));
    }

    public HubSettings withCacheDir(Path dir) {
        return new HubSettings(endpoint, dir, token, offline, timeout, retries, firstWait, maxWait);
    }

    public HubSettings withEndpoint(URI uri) {
        return new HubSettings(uri, cacheDir, token, offline, timeout, retries, firstWait, maxWait);
    }

    public HubSettings withOffline(boolean off) {
        return new HubSettings(endpoint, cacheDir, token, off, timeout, retries, firstWait, maxWait);
    }

    public HubSettings withToken(String t) {
        return new HubSettings(endpoint, cacheDir, t, offline, timeout, retries, firstWait, maxWait);
    }

    public HubSettings withTimeout(Duration t) {
        return new HubSettings(endpoint, cacheDir, token, offline, t, retries, firstWait, maxWait);
    }

    public HubSettings withBackoff(int retryCount, Duration first, Duration max) {
        return new HubSettings(endpoint, cacheDir, token, offline, timeout, retryCount, first, max);
    }

    /** Never prints the token. */
    @Override
    public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", cacheDir=" + cacheDir + ", token=" + (token == null ? "none" : "set")
                + ", offline=" + offline + "]";
    }

    private static String value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.strip();
    }

    private static Path path(Map<String, String> env, String name) {
        String v = value(env, name);
        return v == null ? null : Path.of(v.startsWith("~/") ? System.getProperty("user.home") + v.substring(1) : v);
    }

    private static String readToken(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file).strip() : null;
        } catch (IOException e) {
            return null; // an unreadable token file is as good as none: public repositories still work
        }
    }
}
