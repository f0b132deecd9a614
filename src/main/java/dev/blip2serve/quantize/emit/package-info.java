/**
 * How a quantized linear is written into the graph: float, int8 per tensor or per token ({@code MatMulInteger}),
 * and N-bit weights ({@code MatMulNBits}) with simulated activation quantization for W4A4. One scheme per preset
 * family, so the graph builders in {@code blip2} stay unaware of quantization.
 */
package dev.blip2serve.quantize.emit;
