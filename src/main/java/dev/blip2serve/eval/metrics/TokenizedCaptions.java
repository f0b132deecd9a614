package dev.blip2serve.eval.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * An evaluation set after tokenisation: for every item id its reference captions and its one candidate,
 * each as a token list.
 *
 * <p>Like pycocoevalcap (which asserts {@code gts.keys() == res.keys()}), candidates and references must
 * cover exactly the same ids, every item needs at least one reference, and the set may not be empty.
 * Items keep the iteration order of the reference map.
 *
 * @param references reference token lists per item id (unmodifiable)
 * @param candidates candidate token list per item id (unmodifiable, same order as {@code references})
 */
public record TokenizedCaptions(Map<String, List<List<String>>> references, Map<String, List<String>> candidates) {

    public TokenizedCaptions {
        Objects.requireNonNull(references, "references");
        Objects.requireNonNull(candidates, "candidates");
        if (references.isEmpty()) {
            throw new IllegalArgumentException("empty evaluation set");
        }
        if (!references.keySet().equals(candidates.keySet())) {
            throw new IllegalArgumentException("candidate ids differ from reference ids: "
                    + difference(references.keySet(), candidates.keySet()));
        }
        var refs = new LinkedHashMap<String, List<List<String>>>();
        var cands = new LinkedHashMap<String, List<String>>();
        for (var entry : references.entrySet()) {
            String id = entry.getKey();
            if (entry.getValue().isEmpty()) {
                throw new IllegalArgumentException("item " + id + " has no reference");
            }
            refs.put(id, entry.getValue().stream().map(List::copyOf).toList());
            cands.put(id, List.copyOf(candidates.get(id)));
        }
        references = Collections.unmodifiableMap(refs);
        candidates = Collections.unmodifiableMap(cands);
    }

    /** Tokenises raw captions with {@link PtbTokenizer}, the normalisation pycocoevalcap applies. */
    public static TokenizedCaptions ptb(Map<String, ? extends List<String>> references, Map<String, String> candidates) {
        return of(references, candidates, PtbTokenizer::tokenize);
    }

    /** Splits already tokenised captions on whitespace (pycocoevalcap's scorers on pre-tokenised text). */
    public static TokenizedCaptions whitespace(Map<String, ? extends List<String>> references,
            Map<String, String> candidates) {
        return of(references, candidates, TokenizedCaptions::splitWhitespace);
    }

    /** Tokenises raw captions with the given tokenizer. */
    public static TokenizedCaptions of(Map<String, ? extends List<String>> references, Map<String, String> candidates,
            Function<String, List<String>> tokenizer) {
        var refs = new LinkedHashMap<String, List<List<String>>>();
        references.forEach((id, list) -> refs.put(id, list.stream().map(tokenizer).toList()));
        var cands = new LinkedHashMap<String, List<String>>();
        candidates.forEach((id, caption) -> cands.put(id, tokenizer.apply(Objects.requireNonNull(caption, id))));
        return new TokenizedCaptions(refs, cands);
    }

    /** Number of items. */
    public int size() {
        return references.size();
    }

    static List<String> splitWhitespace(String text) {
        String trimmed = text.strip();
        return trimmed.isEmpty() ? List.of() : List.of(trimmed.split("\\s+"));
    }

    private static List<String> difference(Set<String> a, Set<String> b) {
        List<String> out = new ArrayList<>();
        for (String id : a) {
            if (!b.contains(id)) {
                out.add("missing candidate " + id);
            }
        }
        for (String id : b) {
            if (!a.contains(id)) {
                out.add("no references for " + id);
            }
        }
        return out.size() > 5 ? out.subList(0, 5) : out;
    }
}
