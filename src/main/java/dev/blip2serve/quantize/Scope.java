package dev.blip2serve.quantize;

import java.util.Locale;

/** Which linears a variant quantizes: the language model only, or the image side too. */
public enum Scope {
    /** OPT's linears (attention and MLP of every decoder layer); the LM head stays float. */
    LLM,
    /** The ViT, the Q-Former, the language projection and the language model. */
    ALL;

    /** True when the linear with this logical name is quantized under this scope. */
    public boolean includes(String linear) {
        return this == ALL || linear.startsWith("lm.");
    }

    /** {@code llm} or {@code all}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code llm} / {@code all}; an {@link IllegalArgumentException} names the choices otherwise. */
    public static Scope parse(String s) {
        for (Scope v : values()) {
            if (v.label().equals(s.toLowerCase(Locale.ROOT))) {
                return v;
            }
        }
        throw new IllegalArgumentException("--scope must be llm or all, got '" + s + "'");
    }
}
