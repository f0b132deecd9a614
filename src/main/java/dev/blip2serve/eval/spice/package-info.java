/**
 * SPICE: CoreNLP scene graphs, lemmatized tuples, WordNet synonyms, and P/R/F per image with a tuple cache.
 * docs/SPICE.md says where it differs from SPICE-1.0.
 */
package dev.blip2serve.eval.spice;
