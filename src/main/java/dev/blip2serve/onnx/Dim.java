package dev.blip2serve.onnx;

/** One dimension of a graph input or output: a fixed size or a symbolic name such as {@code batch}. */
public sealed interface Dim {

    /** A fixed size. */
    record Fixed(long size) implements Dim {
    }

    /** A size known only at run time. */
    record Symbolic(String name) implements Dim {
    }

    static Dim of(long size) {
        return new Fixed(size);
    }

    static Dim of(String name) {
        return new Symbolic(name);
    }
}
