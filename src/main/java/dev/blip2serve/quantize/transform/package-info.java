/**
 * From calibration statistics to scaled weights: the per-group scale searches (SmoothQuant, AWQ, group-aware) and
 * AWQ clipping, planned once ({@code ScalePlan}) and applied lazily as each weight is loaded ({@code ScaledWeights}),
 * so a multi-gigabyte checkpoint still streams one tensor at a time.
 */
package dev.blip2serve.quantize.transform;
