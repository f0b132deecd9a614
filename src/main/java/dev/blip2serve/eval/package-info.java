/**
 * Evaluation runs: the dataset format and a run that captions every item (and answers its question) with one variant
 * and scores it. The metrics themselves live in {@code eval.metrics} (plain Java) and {@code eval.spice}.
 */
package dev.blip2serve.eval;
