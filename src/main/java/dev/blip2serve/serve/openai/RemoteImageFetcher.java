package dev.blip2serve.serve.openai;

import dev.blip2serve.serve.web.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.stereotype.Component;

/**
 * Fetches a remote image URL for {@code /v1/chat/completions} when an operator turned it on, with the usual SSRF
 * guards: only hosts on the allowlist; every address the host resolves to must be public (no loopback, private,
 * link-local, carrier-grade NAT, unique-local, multicast or unspecified address); redirects are followed by hand,
 * only to the same scheme, host and port, and at most {@code max-redirects}; the body stops one byte past
 * {@code max-bytes}; the whole fetch has one time limit. Only {@code https}.
 *
 * <p>Known gap: the HTTP client resolves the host again when it connects, so a DNS answer that changes between the
 * check and the connection (rebinding) is not caught; the allowlist is what bounds that risk.
 */
@Component
public class RemoteImageFetcher {

    /**
     * Which URLs may be fetched besides the allowlist. Production has exactly one ({@link #PUBLIC_HTTPS}); the
     * other is constructed only by tests in this package (against a server on 127.0.0.1), never from configuration.
     */
    record Reach(boolean loopbackAndHttp) {
        static final Reach PUBLIC_HTTPS = new Reach(false);
    }

    private final RemoteImageProperties properties;
    private final Reach reach;
    private final HttpClient client;

    @org.springframework.beans.factory.annotation.Autowired
    public RemoteImageFetcher(RemoteImageProperties properties) {
        this(properties, Reach.PUBLIC_HTTPS);
    }

    RemoteImageFetcher(RemoteImageProperties properties, Reach reach) {
        this.properties = properties;
        this.reach = reach;
        this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(properties.connectTimeout()).proxy(HttpClient.Builder.NO_PROXY).build();
    }

    public boolean enabled() {
        return properties.enabled();
    }

    /**
     * @param param the request member that held the URL, for errors
     * @throws ApiException 400 for a URL that may not be fetched or failed, 413 over the size limit
     */
    public byte[] fetch(String url, String param) {
        if (!properties.enabled()) {
            throw refused(param, "remote image URLs are turned off on this service; send the image as a data URL "
                    + "(data:image/png;base64,...)");
        }
        long deadline = System.nanoTime() + properties.timeout().toNanos();
        URI uri = check(parse(url, param), param);
        for (int redirects = 0; ; redirects++) {
            HttpResponse<InputStream> response = send(uri, deadline, param);
            int status = response.statusCode();
            if (status >= 300 && status < 400 && status != 304) {
                close(response);
                if (redirects == properties.maxRedirects()) {
                    throw refused(param, "the image URL redirected more than " + properties.maxRedirects() + " times");
                }
                String location = response.headers().firstValue("Location").orElseThrow(
                        () -> refused(param, "the image URL redirected without a Location"));
                URI next = check(parse(uri.resolve(location.strip()).toString(), param), param);
                if (!sameOrigin(uri, next)) {
                    throw refused(param, "the image URL redirected to another host or port (" + next.getHost()
                            + "); only redirects to the same origin are followed");
                }
                uri = next;
                continue;
            }
            if (status != 200) {
                close(response);
                throw refused(param, "fetching the image URL answered HTTP " + status);
            }
            return body(response, deadline, param);
        }
    }

    private static URI parse(String url, String param) {
        try {
            URI uri = new URI(url);
            if (uri.getHost() == null || uri.getScheme() == null) {
                throw refused(param, "the image URL must be absolute with a host");
            }
            if (uri.getRawUserInfo() != null) {
                throw refused(param, "the image URL must not carry credentials");
            }
            return uri;
        } catch (java.net.URISyntaxException e) {
            throw refused(param, "the image URL is not a valid URL");
        }
    }

    /** Scheme, allowlist and every resolved address. */
    private URI check(URI uri, String param) {
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !(reach.loopbackAndHttp() && scheme.equals("http"))) {
            throw refused(param, "only https image URLs are fetched");
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (!properties.allows(host)) {
            throw refused(param, "host '" + host + "' is not on this service's allowlist for image URLs");
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw refused(param, "host '" + host + "' of the image URL does not resolve");
        }
        for (InetAddress a : addresses) {
            if (!isPublic(a) && !(reach.loopbackAndHttp() && a.isLoopbackAddress())) {
                throw refused(param, "host '" + host + "' resolves to a private, loopback or link-local address; "
                        + "such image URLs are never fetched");
            }
        }
        return uri;
    }

    /** Globally routable unicast: none of the special-purpose ranges an attacker would aim a server at. */
    static boolean isPublic(InetAddress a) {
        if (a.isLoopbackAddress() || a.isAnyLocalAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return false;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first != 0                                   // "this network"
                    && !(first == 100 && second >= 64 && second < 128)  // carrier-grade NAT 100.64/10
                    && !(first == 192 && second == 0 && (b[2] & 0xff) == 0) // IETF protocol assignments
                    && !(first == 198 && (second == 18 || second == 19))   // benchmarking
                    && first < 224;                                        // multicast and reserved
        }
        if (a instanceof Inet6Address) {
            if ((b[0] & 0xfe) == 0xfc) {
                return false; // unique local fc00::/7
            }
            boolean mapped = true; // ::ffff:a.b.c.d — judge the IPv4 address inside
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            if (mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
                try {
                    return isPublic(InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, 12, 16)));
                } catch (UnknownHostException e) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() != -1 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    private HttpResponse<InputStream> send(URI uri, long deadline, String param) {
        HttpRequest request = HttpRequest.newBuilder(uri).GET().timeout(remaining(deadline, param))
                .header("Accept", "image/*").build();
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (java.net.http.HttpTimeoutException e) {
            throw timedOut(param);
        } catch (IOException e) {
            throw refused(param, "the image URL could not be fetched");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.shuttingDown();
        }
    }

    /** Reads at most max-bytes + 1 within the deadline; a stalled body is cut off when the time is up. */
    private byte[] body(HttpResponse<InputStream> response, long deadline, String param) {
        long limit = properties.maxBytes().toBytes();
        long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (declared > limit) {
            close(response);
            throw ApiException.tooLarge("the image at the URL", limit).with("parameter", param);
        }
        InputStream in = response.body();
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
            try {
                return in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 16));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, command -> Thread.ofVirtual().name("blip2-image-fetch").start(command));
        try {
            byte[] data = read.get(remaining(deadline, param).toNanos(), TimeUnit.NANOSECONDS);
            if (data.length > limit) {
                throw ApiException.tooLarge("the image at the URL", limit).with("parameter", param);
            }
            return data;
        } catch (TimeoutException e) {
            throw timedOut(param);
        } catch (ExecutionException e) {
            throw refused(param, "the image URL could not be read to the end");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.shuttingDown();
        } finally {
            close(response);
            read.cancel(true);
        }
    }

    private Duration remaining(long deadline, String param) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw timedOut(param);
        }
        return Duration.ofNanos(left);
    }

    private ApiException timedOut(String param) {
        return refused(param, "fetching the image URL took longer than " + properties.timeout().toMillis() + " ms");
    }

    private static void close(HttpResponse<InputStream> response) {
        try {
            response.body().close();
        } catch (IOException e) {
            // nothing more to read anyway
        }
    }

    private static ApiException refused(String param, String detail) {
        return ApiException.invalidParameter(param, detail);
    }
}
