/**
 * ONNX Runtime sessions over a variant's graphs: session options (threads, CUDA provider and its arena), the
 * vision runner and the decoder step with its KV cache. The one layer that holds ONNX Runtime handles, so every
 * other layer stays testable and free of native resources.
 */
package dev.blip2serve.runtime;
