package dev.blip2serve.eval.spice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scoring and the cache, on a fake parser (no models). */
class SpiceMatchingTest {

    /** Tuples written in the caption itself: "circle; circle red; circle on left". */
    static final class FakeParser implements SceneGraphParser {
        final AtomicInteger parsed = new AtomicInteger();

        @Override
        public String version() {
            return "fake-1";
        }

        @Override
        public List<Set<SpiceTuple>> parse(List<String> captions) {
            List<Set<SpiceTuple>> out = new ArrayList<>();
            for (String c : captions) {
                parsed.incrementAndGet();
                java.util.LinkedHashSet<SpiceTuple> set = new java.util.LinkedHashSet<>();
                for (String t : c.split(";")) {
                    if (!t.isBlank()) {
                        set.add(new SpiceTuple(List.of(t.strip().split(" "))));
                    }
                }
                out.add(set);
            }
            return out;
        }
    }

    @Test
    void precisionRecallAndFOverMergedReferences() {
        Spice spice = new Spice(new FakeParser(), Synonyms.NONE);
        SpiceReport r = spice.score(
                Map.of("a", List.of("circle; circle red", "circle; left; circle on left")),
                Map.of("a", "circle; circle blue; left"));
        SpiceScore s = r.items().get("a");
        // references merged: circle, circle red, left, circle on left (4); candidate: 3, of which 2 match
        assertThat(s.referenceTuples()).isEqualTo(4);
        assertThat(s.candidateTuples()).isEqualTo(3);
        assertThat(s.precision()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(s.recall()).isCloseTo(0.5, within(1e-12));
        assertThat(s.f()).isCloseTo(2 * (2.0 / 3) * 0.5 / (2.0 / 3 + 0.5), within(1e-12));
        assertThat(r.spice()).isCloseTo(s.f(), within(1e-12));
        // objects: circle, left vs circle, left -> 1; attributes: (circle blue) vs (circle red) -> 0;
        // relations: none vs (circle on left) -> 0
        assertThat(r.spice("object")).isEqualTo(1.0);
        assertThat(r.spice("attribute")).isZero();
        assertThat(r.spice("relation")).isZero();
    }

    @Test
    void noTuplesScoresZero() {
        Spice spice = new Spice(new FakeParser(), Synonyms.NONE);
        SpiceReport r = spice.score(Map.of("a", List.of("circle"), "b", List.of("")),
                new java.util.LinkedHashMap<>(Map.of("a", "", "b", "circle")));
        assertThat(r.items().get("a").f()).isZero();
        assertThat(r.items().get("b").f()).isZero();
        assertThat(r.spice()).isZero();
    }

    @Test
    void synonymsMatchWordByWord() {
        Synonyms bigIsLarge = (a, b) -> a.equals(b) || Set.of(a, b).equals(Set.of("big", "large"));
        Spice spice = new Spice(new FakeParser(), bigIsLarge);
        SpiceScore s = spice.score(Set.of(SpiceTuple.attribute("circle", "big")),
                Set.of(SpiceTuple.attribute("circle", "large")));
        assertThat(s.f()).isEqualTo(1.0);
        assertThat(spice.score(Set.of(SpiceTuple.attribute("big", "circle")),
                Set.of(SpiceTuple.attribute("circle", "large"))).f()).isZero();
    }

    @Test
    void cacheFileMakesRescoringParseNothing(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("spice-cache.jsonl");
        FakeParser fake = new FakeParser();
        CachedSceneGraphParser cached = new CachedSceneGraphParser(fake, file);
        List<Set<SpiceTuple>> first = cached.parse(List.of("circle; circle red", "left", "circle; circle red"));
        assertThat(fake.parsed.get()).isEqualTo(2);
        assertThat(Files.readAllLines(file)).hasSize(2);

        FakeParser fresh = new FakeParser();
        CachedSceneGraphParser reread = new CachedSceneGraphParser(fresh, file);
        assertThat(reread.parse(List.of("left", "circle; circle red"))).containsExactly(first.get(1), first.get(0));
        assertThat(fresh.parsed.get()).isZero();
        assertThat(reread.hits()).isEqualTo(2);
        assertThat(reread.key("left")).hasSize(64).isEqualTo(cached.key("left"));
    }

    @Test
    void anUnwritableCacheStillScores(@TempDir Path dir) throws IOException {
        Path notADir = Files.writeString(dir.resolve("file"), "x");
        CachedSceneGraphParser cached = new CachedSceneGraphParser(new FakeParser(), notADir.resolve("c.jsonl"));
        assertThat(cached.parse(List.of("circle")).getFirst()).containsExactly(SpiceTuple.object("circle"));
        assertThat(cached.writeError()).contains("cannot write the SPICE cache");
    }

    @Test
    void tornCacheLinesAreParsedAgain(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("c.jsonl");
        Files.writeString(file, "{\"key\": \"abc\", \"tup\n");
        FakeParser fake = new FakeParser();
        CachedSceneGraphParser cached = new CachedSceneGraphParser(fake, file);
        assertThat(cached.parse(List.of("circle")).getFirst()).containsExactly(SpiceTuple.object("circle"));
        assertThat(fake.parsed.get()).isEqualTo(1);
    }
}
