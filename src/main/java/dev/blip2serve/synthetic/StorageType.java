package dev.blip2serve.synthetic;

import java.util.Locale;

/** How a synthetic checkpoint stores its floats (the hub stores BLIP-2 as float32). */
public enum StorageType {
    F32(4, "F32"),
    F16(2, "F16");

    private final int bytes;
    private final String safetensorsName;

    StorageType(int bytes, String safetensorsName) {
        this.bytes = bytes;
        this.safetensorsName = safetensorsName;
    }

    public int bytes() {
        return bytes;
    }

    public String safetensorsName() {
        return safetensorsName;
    }

    /** The config's {@code torch_dtype} for this storage. */
    public String torchName() {
        return this == F32 ? "float32" : "float16";
    }

    /** {@code f32} / {@code f16} (also {@code fp32}, {@code float32}, ...). */
    public static StorageType parse(String s) {
        return switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "f32", "fp32", "float32" -> F32;
            case "f16", "fp16", "float16" -> F16;
            default -> throw new IllegalArgumentException("--dtype must be f32 or f16, got '" + s + "'");
        };
    }
}
