/**
 * One loaded variant ({@code Blip2Model}): manifest, preprocessing, tokenizer and sessions together, captioning a
 * batch of images end to end. What the CLI, the benchmarks, eval and the service all call.
 */
package dev.blip2serve.engine;
