package dev.blip2serve.eval.spice;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * SPICE (Anderson et al., ECCV 2016): the F-score of the candidate's scene-graph tuples against the tuples of
 * all references of the image merged into one set, tuples matching when they have the same length and every
 * word is equal (as lemmas) or a WordNet synonym; the set's SPICE is the mean F over its images.
 *
 * <p>See docs/SPICE.md for how this differs from SPICE-1.0.
 */
public final class Spice {

    private final SceneGraphParser parser;
    private final Synonyms synonyms;

    public Spice(SceneGraphParser parser, Synonyms synonyms) {
        this.parser = parser;
        this.synonyms = synonyms;
    }

    /**
     * CoreNLP's parser (models loaded on first use) behind a cache in {@code cacheFile} (null: memory only),
     * WordNet synonyms with direct noun hypernyms.
     */
    public static Spice standard(Path cacheFile) {
        return new Spice(new CachedSceneGraphParser(new CoreNlpSceneGraphParser(), cacheFile),
                WordNetSynonyms.withHypernyms());
    }

    /** {@code ~/.cache/blip2-serve/spice-cache.jsonl}: the cache eval and reproduce share. */
    public static Path defaultCacheFile() {
        return Path.of(System.getProperty("user.home"), ".cache", "blip2-serve", "spice-cache.jsonl");
    }

    public SceneGraphParser parser() {
        return parser;
    }

    /** Scores every candidate id; an id without references scores 0. */
    public SpiceReport score(Map<String, ? extends List<String>> references, Map<String, String> candidates) {
        long t0 = System.nanoTime();
        Map<String, Integer> index = new LinkedHashMap<>();
        for (Map.Entry<String, String> c : candidates.entrySet()) {
            index.putIfAbsent(c.getValue() == null ? "" : c.getValue(), index.size());
            for (String r : refsOf(references, c.getKey())) {
                index.putIfAbsent(r == null ? "" : r, index.size());
            }
        }
        List<Set<SpiceTuple>> parsed = parser.parse(new ArrayList<>(index.keySet()));
        long t1 = System.nanoTime();
        Map<String, SpiceScore> items = new LinkedHashMap<>();
        Map<String, Map<String, SpiceScore>> byKind = new LinkedHashMap<>();
        SpiceReport.KINDS.forEach(k -> byKind.put(k, new LinkedHashMap<>()));
        for (Map.Entry<String, String> c : candidates.entrySet()) {
            Set<SpiceTuple> cand = parsed.get(index.get(c.getValue() == null ? "" : c.getValue()));
            Set<SpiceTuple> refs = new LinkedHashSet<>();
            for (String r : refsOf(references, c.getKey())) {
                refs.addAll(parsed.get(index.get(r == null ? "" : r)));
            }
            items.put(c.getKey(), score(cand, refs));
            for (int size = 1; size <= 3; size++) {
                byKind.get(SpiceReport.KINDS.get(size - 1)).put(c.getKey(), score(ofSize(cand, size), ofSize(refs, size)));
            }
        }
        long t2 = System.nanoTime();
        return new SpiceReport(items, byKind, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
    }

    private static Set<SpiceTuple> ofSize(Set<SpiceTuple> tuples, int size) {
        Set<SpiceTuple> out = new LinkedHashSet<>();
        for (SpiceTuple t : tuples) {
            if (t.size() == size) {
                out.add(t);
            }
        }
        return out;
    }

    private static List<String> refsOf(Map<String, ? extends List<String>> references, String id) {
        List<String> r = references.get(id);
        return r == null ? List.of() : r;
    }

    /** SPICE of one candidate's tuples against the merged reference tuples. */
    public SpiceScore score(Set<SpiceTuple> candidate, Set<SpiceTuple> references) {
        Set<SpiceTuple> matchedRefs = new HashSet<>();
        int matchedCand = 0;
        for (SpiceTuple c : candidate) {
            boolean any = false;
            for (SpiceTuple r : references) {
                if (matches(c, r)) {
                    any = true;
                    matchedRefs.add(r);
                }
            }
            if (any) {
                matchedCand++;
            }
        }
        return SpiceScore.of(candidate.size(), references.size(), matchedCand, matchedRefs.size());
    }

    private final Map<String, Boolean> wordMatches = new HashMap<>();

    boolean matches(SpiceTuple a, SpiceTuple b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!wordMatch(a.words().get(i), b.words().get(i))) {
                return false;
            }
        }
        return true;
    }

    private boolean wordMatch(String a, String b) {
        if (a.equals(b)) {
            return true;
        }
        String key = a.compareTo(b) < 0 ? a + "\u0000" + b : b + "\u0000" + a;
        return wordMatches.computeIfAbsent(key, k -> synonyms.match(a, b));
    }
}
