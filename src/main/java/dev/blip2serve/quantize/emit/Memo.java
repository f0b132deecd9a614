package dev.blip2serve.quantize.emit;

import java.util.function.Supplier;

/**
 * A value computed once for several lazily written initializers (a packed weight, its scales, its zero points)
 * and dropped after the last of them has read it, so the model writer never holds more than one quantized
 * weight at a time.
 */
final class Memo<T> {

    private final Supplier<T> compute;
    private int readsLeft;
    private T value;

    /** @param reads how many times {@link #get()} will be called in all */
    Memo(Supplier<T> compute, int reads) {
        this.compute = compute;
        this.readsLeft = reads;
    }

    synchronized T get() {
        T v = value != null ? value : compute.get();
        readsLeft--;
        value = readsLeft > 0 ? v : null;
        return v;
    }
}
