/**
 * {@code reproduce}: builds every preset, evaluates it against the project's own fp32 (captions, SPICE, teacher-forced
 * KL) and writes the paper's tables and the acceptance checks, optionally over several calibration draws. It sits on
 * top of {@code quantize} and {@code eval}, so the pipeline itself needs no evaluation code.
 */
package dev.blip2serve.reproduce;
