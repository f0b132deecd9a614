/**
 * Quantization math in plain Java (JDK only): specs, RTN quantizers for weights and simulated activation
 * quantizers, packing into ONNX Runtime's {@code MatMulNBits} / {@code MatMulInteger} layouts, SmoothQuant
 * smoothing, AWQ scale and clipping searches, and the group-aware SmoothQuant search of the W4A4 variants.
 *
 * <p>Conventions: weights are {@code W [N out, K in]} row-major (Hugging Face {@code nn.Linear}); activations are
 * {@code X [rows, K]}; a linear computes {@code X W^T}. Quantization blocks run along K within a row. Rounding is
 * half to even. See {@link dev.blip2serve.quantmath.QuantSpec} for the integer ranges and
 * {@link dev.blip2serve.quantmath.ActivationQuantizer} for the exact formulas the graphs mirror.
 */
package dev.blip2serve.quantmath;
