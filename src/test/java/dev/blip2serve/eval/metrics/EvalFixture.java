package dev.blip2serve.eval.metrics;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** The shapes-blip2 evaluation set (tracked in the repository under data/), keyed by image path. */
record EvalFixture(Map<String, List<String>> references, Map<String, String> greedyCaptions,
        Map<String, String> answers, Map<String, String> greedyAnswers, double hfExactMatch, double hfQaAccuracy) {

    static final Path PATH = Path.of("data/shapes-blip2/eval/eval.json");

    static EvalFixture load() {
        if (!Files.exists(PATH)) {
            throw new IllegalStateException(PATH.toAbsolutePath() + " missing: run the tests from the project root");
        }
        JsonNode root = new ObjectMapper().readTree(PATH);
        var references = new LinkedHashMap<String, List<String>>();
        var captions = new LinkedHashMap<String, String>();
        var answers = new LinkedHashMap<String, String>();
        var greedyAnswers = new LinkedHashMap<String, String>();
        for (JsonNode item : root.get("items")) {
            String id = item.get("image").asString();
            List<String> refs = new ArrayList<>();
            item.get("references").forEach(r -> refs.add(r.asString()));
            references.put(id, refs);
            captions.put(id, item.get("hf_greedy_caption").asString());
            answers.put(id, item.get("answer").asString());
            greedyAnswers.put(id, item.get("hf_greedy_answer").asString());
        }
        return new EvalFixture(references, captions, answers, greedyAnswers,
                root.get("hf_exact_match").asDouble(), root.get("hf_qa_accuracy").asDouble());
    }
}
