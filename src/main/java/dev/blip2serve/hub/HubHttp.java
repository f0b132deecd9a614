package dev.blip2serve.hub;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * The hub's HTTP conventions over the JDK client: the token as a bearer header (never sent to another host), redirects
 * followed by hand (a {@code HEAD} keeps a cross-host redirect as the answer, since the hub puts the file's etag, size
 * and commit on the redirect itself), retries with exponential backoff on 429, 5xx and I/O failures, and hub error
 * codes ({@code X-Error-Code}) turned into one-line {@link HubException}s. {@code HF_HUB_DOWNLOAD_TIMEOUT} bounds the
 * connect, the wait for the headers ({@link HttpRequest.Builder#timeout}) and, through {@link ReadTimeoutStream}, each
 * read of a body.
 */
final class HubHttp {

    private static final Set<Integer> RETRIED = Set.of(429, 500, 502, 503, 504);
    private static final int MAX_REDIRECTS = 10;

    private final HubSettings settings;
    private final HubListener listener;
    private final HttpClient client;
    private final String userAgent;
    /** Bodies as streams whose every read times out (the request's own timeout ends with the headers). */
    private final HttpResponse.BodyHandler<InputStream> guardedBody;

    HubHttp(HubSettings settings, HubListener listener) {
        this.settings = settings;
        this.listener = listener;
        this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.timeout()).version(HttpClient.Version.HTTP_1_1).build();
        String version = HubHttp.class.getPackage().getImplementationVersion();
        this.userAgent = "blip2-serve/" + (version != null ? version : "dev") + "; java/" + Runtime.version().feature();
        Duration readTimeout = settings.timeout();
        // ofInputStream's stream exists as soon as the headers do, so the mapping runs at once and never blocks
        this.guardedBody = info -> HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofInputStream(),
                in -> new ReadTimeoutStream(in, readTimeout));
    }

    /** GET of a JSON document on the hub itself. */
    HttpResponse<InputStream> getApi(URI uri, String what) {
        return send("GET", uri, -1, true, what);
    }

    /** HEAD of a {@code /resolve/} URL: a 2xx answer, or the 3xx that points at another host. */
    HttpResponse<InputStream> head(URI uri, String what) {
        return send("HEAD", uri, -1, false, what);
    }

    /** GET of a file, from {@code offset} when positive (a {@code Range} request). Follows every redirect. */
    HttpResponse<InputStream> download(URI uri, long offset, String what) {
        return send("GET", uri, offset, true, what);
    }

    void pause(String what, int attempt, String reason, Duration hint) {
        Duration wait = backoff(attempt, hint);
        listener.retrying(what, attempt, wait, reason);
        try {
            Thread.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(HubException.Kind.UNAVAILABLE, what + ": interrupted", e);
        }
    }

    int retries() {
        return settings.retries();
    }

    private HttpResponse<InputStream> send(String method, URI first, long offset, boolean followCrossHost, String what) {
        if (settings.offline()) {
            throw new HubException(HubException.Kind.NOT_CACHED, what + ": offline mode (HF_HUB_OFFLINE) forbids requests");
        }
        for (int attempt = 0; ; attempt++) {
            String failure;
            Duration hint = null;
            try {
                HttpResponse<InputStream> r = followRedirects(method, first, offset, followCrossHost);
                int s = r.statusCode();
                if (!RETRIED.contains(s)) {
                    if (s >= 400) {
                        throw error(r, what);
                    }
                    return r;
                }
                failure = "HTTP " + s;
                hint = retryAfter(r);
                r.body().close();
                if (attempt >= settings.retries()) {
                    throw error(r, what);
                }
            } catch (IOException e) {
                failure = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                if (attempt >= settings.retries()) {
                    throw new HubException(HubException.Kind.UNAVAILABLE, what + ": cannot reach the hub at "
                            + settings.endpoint() + " after " + (attempt + 1) + " attempts (" + failure + ")", e);
                }
            }
            pause(what, attempt + 1, failure, hint);
        }
    }

    private HttpResponse<InputStream> followRedirects(String method, URI first, long offset, boolean followCrossHost)
            throws IOException {
        URI uri = first;
        for (int hop = 0; ; hop++) {
            HttpResponse<InputStream> r = once(method, uri, offset);
            int s = r.statusCode();
            String location = r.headers().firstValue("Location").orElse(null);
            if (s < 300 || s > 399 || s == 304 || location == null) {
                return r;
            }
            URI next = uri.resolve(location);
            if (!followCrossHost && !sameOrigin(uri, next)) {
                return r;
            }
            r.body().close();
            if (hop >= MAX_REDIRECTS) {
                throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + first);
            }
            uri = next;
        }
    }

    private HttpResponse<InputStream> once(String method, URI uri, long offset) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(settings.timeout())
                .header("User-Agent", userAgent)
                .method(method, HttpRequest.BodyPublishers.noBody());
        // identity: sizes and ranges are of the bytes stored, as huggingface_hub asks for them
        b.header("Accept-Encoding", "identity");
        if (settings.token() != null && sameOrigin(uri, settings.endpoint())) {
            b.header("Authorization", "Bearer " + settings.token());
        }
        if (offset > 0) {
            b.header("Range", "bytes=" + offset + "-");
        }
        try {
            return client.send(b.build(), guardedBody);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() != -1 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
    }

    private Duration backoff(int attempt, Duration hint) {
        long ms = settings.firstWait().toMillis() << Math.min(20, attempt - 1);
        Duration wait = Duration.ofMillis(Math.min(ms, settings.maxWait().toMillis()));
        if (hint != null && hint.compareTo(wait) > 0) {
            wait = hint.compareTo(settings.maxWait()) > 0 ? settings.maxWait() : hint;
        }
        return wait;
    }

    private static Duration retryAfter(HttpResponse<?> r) {
        try {
            return r.headers().firstValue("Retry-After").map(v -> Duration.ofSeconds(Long.parseLong(v.strip()))).orElse(null);
        } catch (NumberFormatException e) {
            return null; // an HTTP date: the exponential backoff will do
        }
    }

    /** The hub's answer as one line, with what the user can do about it. */
    private HubException error(HttpResponse<InputStream> r, String what) {
        int s = r.statusCode();
        String code = r.headers().firstValue("X-Error-Code").orElse("");
        String message = r.headers().firstValue("X-Error-Message").map(m -> " (" + m.strip() + ")").orElse("");
        try {
            r.body().close();
        } catch (IOException ignored) {
            // the answer is already read as far as it matters
        }
        String tokenAdvice = settings.token() == null
                ? "set HF_TOKEN (or write the token to $HF_HOME/token) with a token that has access"
                : "the token in use (HF_TOKEN or $HF_HOME/token) has no access";
        if (code.equals("GatedRepo")) {
            return new HubException(HubException.Kind.UNAUTHORIZED,
                    what + ": HTTP " + s + ", the repository is gated: accept its conditions on the hub, then "
                            + tokenAdvice + message);
        }
        if (s == 401 || s == 403) {
            return new HubException(HubException.Kind.UNAUTHORIZED, what + ": HTTP " + s
                    + ", the repository is private or gated, or does not exist: " + tokenAdvice + message);
        }
        if (s == 404) {
            String thing = switch (code) {
                case "RevisionNotFound" -> "no such revision";
                case "EntryNotFound" -> "no such file";
                default -> "no such repository";
            };
            return new HubException(HubException.Kind.NOT_FOUND, what + ": HTTP 404, " + thing + message);
        }
        return new HubException(HubException.Kind.UNAVAILABLE, what + ": the hub answered HTTP " + s + message);
    }
}
