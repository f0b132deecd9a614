package dev.blip2serve.synthetic;

import java.util.Arrays;

/**
 * One tensor of a synthetic checkpoint: its hub name, its shape, and the name whose {@link HashedWeights}
 * values fill it (itself, or the tensor it is tied to: {@code language_model.lm_head.weight} holds exactly
 * {@code embed_tokens}, as {@code tie_weights()} makes it in transformers).
 */
public record TensorSpec(String name, long[] shape, String valuesOf) {

    public TensorSpec {
        shape = shape.clone();
    }

    public TensorSpec(String name, long... shape) {
        this(name, shape, name);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** This tensor filled with {@code other}'s values (a tied weight). */
    public TensorSpec tiedTo(String other) {
        return new TensorSpec(name, shape, other);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && Arrays.equals(shape, t.shape) && valuesOf.equals(t.valuesOf);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
