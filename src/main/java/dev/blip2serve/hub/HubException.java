package dev.blip2serve.hub;

/** A pull that cannot go on, with a one-line reason a user can act on. */
public class HubException extends RuntimeException {

    /** What went wrong, so callers can pick an exit code or an HTTP status. */
    public enum Kind {
        /** 401/403: a gated or private repository, or a bad token. */
        UNAUTHORIZED,
        /** 404: no such repository, revision or file. */
        NOT_FOUND,
        /** Offline mode (or no network) and the cache lacks what was asked for. */
        NOT_CACHED,
        /** A download whose bytes do not match the hub's etag or size. */
        CORRUPT,
        /** Not enough disk space for the files. */
        DISK_FULL,
        /** The repository id or revision is malformed, or the repository is not a BLIP-2 model. */
        BAD_INPUT,
        /** The hub kept failing (5xx, 429, timeouts) after the retries, or answered something unexpected. */
        UNAVAILABLE
    }

    private final Kind kind;

    public HubException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public HubException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** True for what the user asked for or must fix (bad id, missing repository, no access, nothing cached). */
    public boolean badInput() {
        return kind == Kind.BAD_INPUT || kind == Kind.NOT_FOUND || kind == Kind.UNAUTHORIZED || kind == Kind.NOT_CACHED;
    }
}
