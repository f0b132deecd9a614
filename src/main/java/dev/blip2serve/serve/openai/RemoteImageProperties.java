package dev.blip2serve.serve.openai;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code blip2.openai.remote-images.*}: whether {@code /v1/chat/completions} fetches {@code https://} image URLs
 * itself. Off by default (only {@code data:} URLs). There is deliberately no setting that lets the fetcher reach
 * loopback, private or link-local addresses: {@link RemoteImageFetcher} refuses them whatever this says.
 *
 * @param enabled        fetch remote images at all
 * @param allowedHosts   hosts that may be fetched from: exact names, or {@code *.example.com} for its subdomains;
 *                       must not be empty when enabled
 * @param maxBytes       largest image fetched; the transfer stops one byte past it
 * @param connectTimeout to open the connection
 * @param timeout        the whole fetch, redirects and body included
 * @param maxRedirects   redirects followed, each to the same scheme, host and port only
 */
@ConfigurationProperties("blip2.openai.remote-images")
public record RemoteImageProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue List<String> allowedHosts,
        @DefaultValue("10MB") DataSize maxBytes,
        @DefaultValue("2s") Duration connectTimeout,
        @DefaultValue("5s") Duration timeout,
        @DefaultValue("3") int maxRedirects) {

    public RemoteImageProperties {
        allowedHosts = allowedHosts == null ? List.of()
                : allowedHosts.stream().map(h -> h.strip().toLowerCase(Locale.ROOT)).filter(h -> !h.isEmpty()).toList();
        if (enabled && allowedHosts.isEmpty()) {
            throw new IllegalArgumentException("blip2.openai.remote-images.enabled needs "
                    + "blip2.openai.remote-images.allowed-hosts: the hosts images may be fetched from");
        }
        if (maxBytes.toBytes() < 1 || connectTimeout.isNegative() || connectTimeout.isZero() || timeout.isNegative()
                || timeout.isZero() || maxRedirects < 0) {
            throw new IllegalArgumentException("blip2.openai.remote-images: max-bytes and the timeouts must be "
                    + "positive, max-redirects not negative");
        }
    }

    /** True when {@code host} (lower case) is on the allowlist. */
    boolean allows(String host) {
        for (String allowed : allowedHosts) {
            if (allowed.startsWith("*.") ? host.endsWith(allowed.substring(1)) : host.equals(allowed)) {
                return true;
            }
        }
        return false;
    }
}
