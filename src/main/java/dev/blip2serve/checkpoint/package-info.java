/**
 * Reading Hugging Face checkpoints: safetensors (single or sharded, memory-mapped, F32/F16/BF16/F64, hostile files
 * refused with one-line reasons) and the JSON configs captioning needs. Plain Java, no runtime.
 */
package dev.blip2serve.checkpoint;
