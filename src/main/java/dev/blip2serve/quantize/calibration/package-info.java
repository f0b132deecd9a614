/**
 * Calibration: the calibration set (random draws, hashed for the manifest), fp32 graphs with extra outputs at every
 * quantized linear's input, and the statistics and bounded row samples the searches need, gathered decoder slice
 * by decoder slice so peak memory stays within budget at full size.
 */
package dev.blip2serve.quantize.calibration;
