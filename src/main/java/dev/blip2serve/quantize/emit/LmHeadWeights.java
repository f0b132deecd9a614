package dev.blip2serve.quantize.emit;

import dev.blip2serve.blip2.WeightSource;

/** The LM head's table as the weight of a bias-free linear {@value #LINEAR}, for a {@link LinearScheme} to emit. */
final class LmHeadWeights implements WeightSource {

    static final String LINEAR = "lm.lm_head";

    private final WeightSource source;
    private final String table;

    /** @param table the tied embedding table or the separate head, {@code [V, D]} in {@code source} */
    LmHeadWeights(WeightSource source, String table) {
        this.source = source;
        this.table = table;
    }

    private String resolve(String name) {
        if (!name.equals(LINEAR + ".weight")) {
            throw new IllegalArgumentException("the LM head has a weight only, not " + name);
        }
        return table;
    }

    @Override
    public boolean has(String name) {
        return name.equals(LINEAR + ".weight");
    }

    @Override
    public long[] shape(String name) {
        return source.shape(resolve(name));
    }

    @Override
    public float[] load(String name) {
        return source.load(resolve(name));
    }
}
