/**
 * Full-size BLIP-2 checkpoints with reproducible weights, written in the Hugging Face hub layout, so that size,
 * memory and speed are tested at the real 2.7B/6.7B shapes on machines that cannot download the real weights.
 * Weights are a hash of (seed, tensor, index), bit-equal to {@code scripts/gpu/full_size_reference.py}.
 */
package dev.blip2serve.synthetic;
