package dev.blip2serve.eval.spice;

/**
 * SPICE of one caption against the merged tuples of its references.
 *
 * @param precision matched candidate tuples / candidate tuples
 * @param recall matched reference tuples / reference tuples
 * @param f harmonic mean of precision and recall; 0 when either is 0
 * @param candidateTuples tuples of the candidate
 * @param referenceTuples tuples of all references, merged
 * @param matchedCandidate candidate tuples that match a reference tuple
 * @param matchedReference reference tuples that a candidate tuple matches
 */
public record SpiceScore(double precision, double recall, double f, int candidateTuples, int referenceTuples,
                         int matchedCandidate, int matchedReference) {

    static SpiceScore of(int candidate, int reference, int matchedCandidate, int matchedReference) {
        double p = candidate == 0 ? 0.0 : (double) matchedCandidate / candidate;
        double r = reference == 0 ? 0.0 : (double) matchedReference / reference;
        double f = p + r == 0 ? 0.0 : 2 * p * r / (p + r);
        return new SpiceScore(p, r, f, candidate, reference, matchedCandidate, matchedReference);
    }
}
