package dev.blip2serve.hub;

import java.net.URI;
import java.util.regex.Pattern;

/**
 * What a {@code HEAD} of {@code /resolve/} says about a file.
 *
 * @param commit   {@code X-Repo-Commit}
 * @param etag     {@code X-Linked-Etag} (LFS files: their SHA-256) or {@code ETag} (git files: their git blob SHA-1),
 *                 quotes and a weak prefix removed
 * @param size     {@code X-Linked-Size}, else {@code Content-Length}; -1 when neither
 * @param location where to GET the bytes (the CDN the hub redirected to, or the resolve URL)
 */
record FileMetadata(String commit, String etag, long size, URI location) {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");

    static String normalizeEtag(String etag) {
        String e = etag.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }

    /** An LFS file: the etag is the SHA-256 of its bytes. */
    boolean lfs() {
        return SHA256.matcher(etag).matches();
    }

    /** A file stored in git: the etag is its git blob SHA-1. */
    boolean git() {
        return SHA1.matcher(etag).matches();
    }
}
