package dev.blip2serve.eval.spice;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * SPICE of the shapes-blip2 fixture's Hugging Face greedy captions ({@code hf_greedy_caption} of
 * data/shapes-blip2/eval/eval.json) against its references, with the time it takes; written to
 * target/results/shapes-blip2-spice.md (docs/results/ holds the committed copy).
 */
class ShapesSpiceTest {

    static final Path DATASET = Path.of("data/shapes-blip2/eval/eval.json");
    /** target/ in CI so a test run leaves the tree clean; refresh the committed copy with -Dblip2.results=docs/results. */
    static final Path RESULT = Path.of(System.getProperty("blip2.results", "target/results"), "shapes-blip2-spice.md");

    @Test
    void spiceOfTheHfGreedyCaptions(@TempDir Path dir) throws IOException {
        JsonNode root = new ObjectMapper().readTree(DATASET);
        Map<String, List<String>> refs = new LinkedHashMap<>();
        Map<String, String> captions = new LinkedHashMap<>();
        for (JsonNode item : root.get("items")) {
            String id = item.get("image").asString();
            List<String> r = new ArrayList<>();
            item.get("references").forEach(x -> r.add(x.asString()));
            refs.put(id, r);
            captions.put(id, item.get("hf_greedy_caption").asString());
        }
        Set<String> unique = new LinkedHashSet<>(captions.values());
        refs.values().forEach(unique::addAll);

        CoreNlpSceneGraphParser parser = SharedParser.parser();
        long t0 = System.nanoTime();
        parser.parse(List.of("a red circle on the left")); // loads the models unless an earlier test did
        long warmupMs = (System.nanoTime() - t0) / 1_000_000;
        long loadMs = parser.loadMillis();

        Path cacheFile = dir.resolve("spice-cache.jsonl");
        Spice cold = new Spice(new CachedSceneGraphParser(parser, cacheFile), SharedParser.synonyms());
        t0 = System.nanoTime();
        SpiceReport report = cold.score(refs, captions);
        long coldMs = (System.nanoTime() - t0) / 1_000_000;

        SceneGraphParser noModels = new SceneGraphParser() {
            @Override
            public String version() {
                return parser.version();
            }

            @Override
            public List<Set<SpiceTuple>> parse(List<String> c) {
                throw new AssertionError("re-scoring must come from the cache: " + c);
            }
        };
        CachedSceneGraphParser cached = new CachedSceneGraphParser(noModels, cacheFile);
        t0 = System.nanoTime();
        SpiceReport warm = new Spice(cached, WordNetSynonyms.withHypernyms()).score(refs, captions);
        long warmMs = (System.nanoTime() - t0) / 1_000_000;
        SpiceReport strict = new Spice(cached, WordNetSynonyms.strict()).score(refs, captions);

        assertThat(report.items()).hasSize(300);
        assertThat(warm.spice()).isEqualTo(report.spice());
        assertThat(report.spice()).isBetween(0.1, 1.0);
        assertThat(strict.spice()).isLessThanOrEqualTo(report.spice());
        assertThat(coldMs).as("300 items, cold cache, models loaded").isLessThan(180_000);

        int cand = report.items().values().stream().mapToInt(SpiceScore::candidateTuples).sum();
        int ref = report.items().values().stream().mapToInt(SpiceScore::referenceTuples).sum();
        long zero = report.items().values().stream().filter(s -> s.f() == 0).count();
        long one = report.items().values().stream().filter(s -> s.f() == 1).count();
        String text = """
                # shapes-blip2: SPICE of the fixture's Hugging Face greedy captions

                Written by `ShapesSpiceTest` (src/test/java/dev/blip2serve/eval/spice/), run by `./mvnw verify` \
                (CI) on %s; %d cores seen by the JVM. Scorer: docs/SPICE.md (CoreNLP 4.5.10 rule-based scene-graph \
                parser, WordNet 3.1 through extJWNL; **not** the SPICE-1.0 jar, so not comparable to published \
                SPICE to the third digit).

                - Candidates: `hf_greedy_caption` of `data/shapes-blip2/eval/eval.json`, 300 items, 5 references each \
                (merged per image); %d distinct captions parsed (candidates and references).
                - CIDEr-D of the same captions: 2.766085 (README).

                | | value |
                |---|---:|
                | **SPICE** (mean F, WordNet synsets + direct noun hypernyms, the project's default) | **%.4f** |
                | mean precision | %.4f |
                | mean recall | %.4f |
                | SPICE with synset-only matching (SPICE-1.0's rule) | %.4f |
                | F of objects / attributes / relations only (mean over items that have such tuples) | %.4f / %.4f / %.4f |
                | candidate tuples / merged reference tuples (all items) | %d / %d |
                | items with F = 0 / F = 1 | %d / %d |

                ## Time

                | step | ms |
                |---|---:|
                | CoreNLP model loading (tokenize, ssplit, pos, lemma, parse), once per JVM | %d |
                | first parse in this test (model loading if not done by an earlier test, plus one caption) | %d |
                | scoring 300 items, cold cache: parse %d captions + WordNet + matching | %d |
                | of which parsing / matching | %d / %d |
                | re-scoring 300 items from the cache file (no parser, no models) | %d |
                """.formatted(Instant.now().truncatedTo(ChronoUnit.SECONDS), Runtime.getRuntime().availableProcessors(),
                unique.size(), report.spice(), report.meanPrecision(), report.meanRecall(), strict.spice(),
                report.spice("object"), report.spice("attribute"), report.spice("relation"), cand, ref,
                zero, one, loadMs, warmupMs, unique.size(), coldMs, report.parseMillis(), report.matchMillis(), warmMs);
        Files.createDirectories(RESULT.getParent());
        Files.writeString(RESULT, text);
        System.out.printf(Locale.ROOT, "SPICE shapes-blip2 hf_greedy_caption: %.4f (strict %.4f), cold %d ms, warm %d ms%n",
                report.spice(), strict.spice(), coldMs, warmMs);
    }
}
