package dev.blip2serve.gpu;

/**
 * An NVML call failed, or NVML could not be bound at all (library or symbol missing).
 *
 * <p>{@link #code()} is the {@code nvmlReturn_t} NVML returned, or {@link #NOT_NVML} when the failure happened before
 * NVML could answer (the library does not load, a symbol is missing, the binding is closed).
 */
public final class NvmlException extends Exception {

    /** The code of a failure that is not an NVML return value. */
    public static final int NOT_NVML = -1;

    private final int code;

    public NvmlException(int code, String message) {
        super(message);
        this.code = code;
    }

    public NvmlException(String message, Throwable cause) {
        super(message, cause);
        this.code = NOT_NVML;
    }

    /** The {@code nvmlReturn_t} (e.g. {@link Nvml#ERROR_NOT_SUPPORTED}), or {@link #NOT_NVML}. */
    public int code() {
        return code;
    }
}
