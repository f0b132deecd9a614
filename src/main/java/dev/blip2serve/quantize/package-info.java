/**
 * The quantize pipeline: {@link dev.blip2serve.quantize.Preset presets} resolved into a
 * {@link dev.blip2serve.quantize.Recipe}, the model's linears grouped by shared input
 * ({@link dev.blip2serve.quantize.LinearTopology}), calibration on the fp32 graphs ({@code calibration}), scale searches
 * and lazily scaled weights ({@code transform}), quantized linear emitters ({@code emit}), and the paper's tables
 * ({@code reproduce}). {@link dev.blip2serve.quantize.QuantizePipeline} ties them together; docs/QUANTIZATION.md
 * explains the choices.
 */
package dev.blip2serve.quantize;
