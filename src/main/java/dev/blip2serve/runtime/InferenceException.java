package dev.blip2serve.runtime;

/** ONNX Runtime failed while running a variant's graphs. */
public class InferenceException extends RuntimeException {

    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
