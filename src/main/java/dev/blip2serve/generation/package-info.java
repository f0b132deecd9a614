/**
 * Text generation over an abstract decoder step ({@code CausalLm}): greedy and Hugging Face beam search, the logits
 * processors (min/max new tokens, repetition penalty), left-padded batches and n-best lists. Plain Java, so the
 * search is tested without ONNX Runtime; {@code GenerationRequest} resolves what a caller asks against the
 * checkpoint's generation config, the one place the CLI and the service get their parameters from.
 */
package dev.blip2serve.generation;
