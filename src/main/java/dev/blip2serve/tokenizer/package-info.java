/**
 * OPT's byte-level BPE through DJL's binding of Hugging Face tokenizers, with BLIP-2's conventions (BOS
 * prepended, special tokens skipped and whitespace stripped when decoding).
 */
package dev.blip2serve.tokenizer;
