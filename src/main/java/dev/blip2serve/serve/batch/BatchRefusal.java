package dev.blip2serve.serve.batch;

/**
 * Why a variant's queue did not caption a request, as the scheduler knows it: no HTTP here; the web layer maps each
 * reason onto its problem ({@code serve.web.ApiException#refused}).
 */
public final class BatchRefusal extends RuntimeException {

    /** The outcomes other than a caption or an unexpected failure. */
    public enum Reason {
        /** Every place (queued or running) is taken; {@link #capacity()} says how many there are. */
        BUSY,
        /** The variant drains for shutdown and takes nothing new. */
        SHUTTING_DOWN,
        /** The request's deadline passed before its batch answered. */
        DEADLINE_EXCEEDED,
        /** The variant's model is not (or no longer) loaded. */
        NOT_LOADED
    }

    private final Reason reason;
    private final int retryAfterSeconds;
    private final int capacity;

    public BatchRefusal(Reason reason, String detail, int retryAfterSeconds, int capacity) {
        super(detail, null, false, false);
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
        this.capacity = capacity;
    }

    public Reason reason() {
        return reason;
    }

    /** When the client may try again, seconds. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** The queue's places (queued + running), for {@link Reason#BUSY}; 0 otherwise. */
    public int capacity() {
        return capacity;
    }
}
