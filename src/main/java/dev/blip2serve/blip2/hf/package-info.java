/**
 * The one mapping from Hugging Face BLIP-2 OPT tensor names to the graph builder's logical names (including the
 * fused qkv bias and the tied LM head), so a checkpoint layout change touches one class.
 */
package dev.blip2serve.blip2.hf;
