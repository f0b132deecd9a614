package dev.blip2serve.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties that hold for pycocoevalcap's definitions. Not every plausible one does: duplicating the
 * whole set leaves CIDEr-D unchanged only when every candidate n-gram occurs in some reference (see
 * {@link CiderDTest}), because unseen n-grams get the weight log N.
 */
class MetricPropertiesTest {

    private static final List<String> VOCAB = List.of("a", "the", "red", "blue", "circle", "square", "on", "left");

    record Item(List<String> references, String candidate) {
    }

    @Provide
    Arbitrary<List<Item>> sets() {
        Arbitrary<List<String>> refs = caption().list().ofMinSize(1).ofMaxSize(4);
        return Combinators.combine(refs, caption()).as(Item::new).list().ofMinSize(1).ofMaxSize(6);
    }

    /** Sets whose candidates are one of their own references, so every candidate n-gram is seen. */
    @Provide
    Arbitrary<List<Item>> setsWithSeenCandidates() {
        Arbitrary<Item> item = caption().list().ofMinSize(1).ofMaxSize(4)
                .flatMap(refs -> Arbitraries.of(refs).map(c -> new Item(refs, c)));
        return item.list().ofMinSize(1).ofMaxSize(6);
    }

    private static Arbitrary<String> caption() {
        return Arbitraries.of(VOCAB).list().ofMaxSize(7).map(words -> String.join(" ", words));
    }

    @Property(tries = 200)
    void ciderDIsInvariantToItemOrder(@ForAll("sets") List<Item> items) {
        Score forward = new CiderD().score(set(items, false, 1));
        Score reversed = new CiderD().score(set(items, true, 1));
        assertEquals(forward.corpus(), reversed.corpus(), 1e-9);
        forward.perItem().forEach((id, v) -> assertEquals(v, reversed.item(id), 1e-9));
    }

    @Property(tries = 200)
    void ciderDIsInvariantToDuplicatingASetWhoseCandidateNgramsAreAllSeen(
            @ForAll("setsWithSeenCandidates") List<Item> items) {
        Score once = new CiderD().score(set(items, false, 1));
        Score twice = new CiderD().score(set(items, false, 2));
        assertEquals(once.corpus(), twice.corpus(), 1e-9);
        once.perItem().forEach((id, v) -> assertEquals(v, twice.item(id), 1e-9));
    }

    @Property(tries = 200)
    void ciderDItemsLieBetweenZeroAndTen(@ForAll("sets") List<Item> items) {
        new CiderD().score(set(items, false, 1)).perItem().values()
                .forEach(v -> assertTrue(v >= 0 && v <= 10 + 1e-9, "out of range: " + v));
    }

    @Property(tries = 200)
    void bleuIsInvariantToItemOrderAndBounded(@ForAll("sets") List<Item> items) {
        BleuScores forward = new Bleu().score(set(items, false, 1));
        BleuScores reversed = new Bleu().score(set(items, true, 1));
        for (int n = 1; n <= 4; n++) {
            assertEquals(forward.corpus(n), reversed.corpus(n), 1e-12);
            double corpus = forward.corpus(n);
            assertTrue(corpus >= 0 && corpus <= 1 + 1e-9, "out of range: " + corpus);
        }
    }

    @Property(tries = 200)
    void rougeLIsOneForAReferenceAndBoundedOtherwise(@ForAll("setsWithSeenCandidates") List<Item> items) {
        Score s = new RougeL().score(set(items, false, 1));
        s.perItem().values().forEach(v -> assertEquals(1.0, v, 1e-12));
    }

    @Property(tries = 200)
    void tokensAreLowercaseNonBlankAndNeverPunctuation(@ForAll String text) {
        for (String token : PtbTokenizer.tokenize(text)) {
            assertFalse(token.isBlank());
            assertFalse(token.chars().anyMatch(Character::isWhitespace), token);
            assertEquals(token.toLowerCase(java.util.Locale.ROOT), token);
            assertFalse(List.of(".", ",", "?", "!", "--", "''", "`").contains(token), token);
        }
    }

    /** The items as a set, optionally reversed, repeated {@code copies} times under fresh ids. */
    private static TokenizedCaptions set(List<Item> items, boolean reverse, int copies) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            order.add(reverse ? items.size() - 1 - i : i);
        }
        Map<String, List<String>> refs = new LinkedHashMap<>();
        Map<String, String> cands = new LinkedHashMap<>();
        for (int copy = 0; copy < copies; copy++) {
            for (int i : order) {
                String id = copy == 0 ? "item-" + i : "item-" + i + "-copy-" + copy;
                refs.put(id, items.get(i).references());
                cands.put(id, items.get(i).candidate());
            }
        }
        return TokenizedCaptions.ptb(refs, cands);
    }
}
