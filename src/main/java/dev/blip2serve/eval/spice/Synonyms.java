package dev.blip2serve.eval.spice;

/** Whether two lemmas count as the same word for SPICE matching (beyond being equal). */
public interface Synonyms {

    boolean match(String a, String b);

    /** Exact matching only. */
    Synonyms NONE = (a, b) -> a.equals(b);
}
