/**
 * The quantize pipeline: {@link dev.blip2serve.quantize.Preset presets} resolved into a
 * {@link dev.blip2serve.quantize.Recipe}, the model's linears grouped by shared input
 * ({@link dev.blip2serve.quantize.LinearTopology}), calibration on the fp32 graphs ({@code calibration}), scale searches
 * and lazily scaled weights ({@code transform}) and quantized linear emitters ({@code emit}), over the math of
 * {@code quantmath}. {@link dev.blip2serve.quantize.QuantizePipeline} ties them together; docs/QUANTIZATION.md explains
 * the choices. Evaluating variants (the paper's tables) is {@code dev.blip2serve.reproduce}, on top of this package.
 */
package dev.blip2serve.quantize;
