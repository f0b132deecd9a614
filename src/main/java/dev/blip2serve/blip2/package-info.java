/**
 * BLIP-2 as ONNX graphs: the vision graph (ViT, Q-Former, language projection) and the OPT decoder with its KV cache
 * and decoder slices for calibration, in fp32 or fp16 compute, over an abstract {@code WeightSource}. It knows no
 * Hugging Face tensor names or files (ArchUnit keeps it so): {@code blip2.hf} maps them.
 */
package dev.blip2serve.blip2;
