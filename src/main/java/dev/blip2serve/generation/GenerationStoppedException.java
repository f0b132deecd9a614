package dev.blip2serve.generation;

/** A search was stopped because its {@link TokenListener} asked: no result exists. */
public final class GenerationStoppedException extends RuntimeException {

    public GenerationStoppedException(int steps) {
        super("generation stopped on request after " + steps + " decoder steps");
    }
}
