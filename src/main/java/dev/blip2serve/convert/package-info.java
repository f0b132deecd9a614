/**
 * Checkpoint to float variants: reads a Hugging Face BLIP-2 checkpoint, builds the graphs and writes them with their
 * sidecar files and manifest (fp32, fp16 storage, fp16 compute), streaming weights so full-size checkpoints convert
 * within a small heap.
 */
package dev.blip2serve.convert;
