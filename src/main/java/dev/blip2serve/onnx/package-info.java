/**
 * A small ONNX graph builder in plain Java: a typed op table, values and nodes, lazily loaded initializers, external
 * data for graphs over 2 GB and the protobuf writer. No ONNX Runtime here: graphs are built and written without it.
 */
package dev.blip2serve.onnx;
