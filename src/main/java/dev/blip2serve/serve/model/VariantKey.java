package dev.blip2serve.serve.model;

import java.util.Comparator;

/** A variant's address in the repository: {@code <model>/<variant>}. */
public record VariantKey(String model, String variant) implements Comparable<VariantKey> {

    private static final Comparator<VariantKey> ORDER =
            Comparator.comparing(VariantKey::model).thenComparing(VariantKey::variant);

    @Override
    public int compareTo(VariantKey o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return model + "/" + variant;
    }
}
