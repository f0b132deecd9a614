package dev.blip2serve.onnx;

/** A named value in a graph under construction: a graph input, an initializer or a node output. */
public record Value(String name) {
}
