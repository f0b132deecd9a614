/**
 * Benchmarks of whole captions (vision, prefill, per token, batch sizes, sequential or interleaved), the memory
 * bandwidth floor and process memory; reports as Markdown and JSON for docs/benchmarks/.
 */
package dev.blip2serve.bench;
