/**
 * Caption and answer metrics that reproduce the COCO caption evaluation code (pycocoevalcap).
 *
 * <p>Captions are normalised by {@link dev.blip2serve.eval.metrics.PtbTokenizer} (pycocoevalcap's PTB
 * tokenisation and punctuation removal), collected in a {@link dev.blip2serve.eval.metrics.TokenizedCaptions}
 * set and scored by {@link dev.blip2serve.eval.metrics.CiderD}, {@link dev.blip2serve.eval.metrics.Bleu},
 * {@link dev.blip2serve.eval.metrics.RougeL} and {@link dev.blip2serve.eval.metrics.ExactMatch};
 * {@link dev.blip2serve.eval.metrics.QaAccuracy} scores short answers.
 * {@link dev.blip2serve.eval.metrics.CaptionScoring} runs them all. Everything here depends on the JDK only.
 */
package dev.blip2serve.eval.metrics;
