package dev.blip2serve.cli;

import static dev.blip2serve.cli.CliRun.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.testing.Fixtures;
import dev.blip2serve.testing.JsonKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The CLI as a user runs it: exit codes, one-line errors, the JSON it prints. */
class CliTest {

    @TempDir
    static Path tmp;

    static Path repo;

    @BeforeAll
    static void convertTiny() {
        repo = tmp.resolve("repo");
        CliRun r = cli("convert", "--checkpoint", Fixtures.TINY.toString(), "--repo", repo.toString(), "--name", "tiny");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("fp32:").contains("fp16:");
    }

    @Test
    void convertWritesBothVariantsWithManifestAndGraphs() {
        for (String v : List.of("fp32", "fp16")) {
            Path dir = repo.resolve("tiny").resolve(v);
            assertThat(dir.resolve("manifest.json")).exists();
            assertThat(dir.resolve("vision.onnx")).exists();
            assertThat(dir.resolve("decoder.onnx")).exists();
            assertThat(dir.resolve("tokenizer.json")).exists();
        }
        JsonNode m = JsonMapper.builder().build().readTree(repo.resolve("tiny/fp16/manifest.json").toFile());
        assertThat(JsonKeys.camelCase(m)).as("camelCase keys").isEmpty();
        assertThat(m.get("precision").asString()).isEqualTo("fp16");
        assertThat(m.get("preset").asString()).isEqualTo("fp16");
        assertThat(m.get("schema").asInt()).isEqualTo(2);
        assertThat(m.get("source").get("sha256").asString()).hasSize(64);
        assertThat(m.get("files").size()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void captionJsonGivesHfGreedyTokensForTheAstronaut() {
        CliRun r = cli("caption", "--model", repo.resolve("tiny/fp32").toString(), "--max-new-tokens", "12", "--json",
                Fixtures.TINY.resolve("images/astronaut.png").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode line = JsonMapper.builder().build().readTree(r.out().strip());
        assertThat(line.get("image").asString()).endsWith("astronaut.png");
        assertThat(line.get("caption").isString()).isTrue();
        assertThat(line.get("logprob").asDouble()).isNegative();
        assertThat(line.get("latency_ms").isNumber()).isTrue();
        JsonNode golden = Fixtures.json(Fixtures.TINY.resolve("golden.json")).get("cases").get(0);
        assertThat(golden.get("image").asString()).isEqualTo("images/astronaut.png");
        assertThat(line.get("token_ids")).isEqualTo(golden.get("greedy_new_ids"));
    }

    @Test
    void captionBeamsPrintsNBest() {
        CliRun r = cli("caption", "--model", repo.resolve("tiny/fp32").toString(), "--num-beams", "3", "--num-captions", "2",
                "--max-new-tokens", "5", "--json", Fixtures.TINY.resolve("images/coffee.png").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode line = JsonMapper.builder().build().readTree(r.out().strip());
        assertThat(line.get("captions").size()).isEqualTo(2);
        assertThat(JsonKeys.camelCase(line)).as("camelCase keys").isEmpty();
    }

    @Test
    void aMissingImageFailsAloneWithOneLine() {
        CliRun r = cli("caption", "--model", repo.resolve("tiny/fp32").toString(), "--max-new-tokens", "3",
                tmp.resolve("nope.png").toString(), Fixtures.TINY.resolve("images/rocket.png").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip().lines()).hasSize(1).first().asString().contains("nope.png");
        assertThat(r.out()).contains("rocket.png");
    }

    @Test
    void notAnImageIsAOneLineError() throws IOException {
        Path junk = Files.writeString(tmp.resolve("junk.png"), "this is not a png");
        CliRun r = cli("caption", "--model", repo.resolve("tiny/fp32").toString(), junk.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void aFolderThatIsNotAVariantIsAOneLineError() {
        CliRun r = cli("caption", "--model", tmp.toString(), Fixtures.TINY.resolve("images/rocket.png").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip().lines()).hasSize(1).first().asString().contains("manifest.json");
    }

    @Test
    void badGenerationArgumentsAreOneLineErrors() {
        CliRun r = cli("caption", "--model", repo.resolve("tiny/fp32").toString(), "--num-beams", "0",
                Fixtures.TINY.resolve("images/rocket.png").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).contains("num_beams").doesNotContain("\tat ");
    }

    @Test
    void cudaWithoutTheGpuBuildIsAOneLineError() {
        CliRun r = cli("caption", "--model", repo.resolve("tiny/fp32").toString(), "--cuda", "--cuda-memory-limit", "2GB",
                Fixtures.TINY.resolve("images/rocket.png").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip().lines()).hasSize(1).first().asString()
                .contains("CUDA execution provider is not available").contains("-Pgpu").doesNotContain("\tat ");
    }

    @Test
    void badRuntimeArgumentsAreOneLineErrors() {
        for (String[] bad : new String[][] {{"--cuda-memory-limit", "lots"}, {"--cuda-memory-limit", "-1GB"},
                {"--cuda-device", "-1"}, {"--threads", "-2"}}) {
            CliRun r = cli("caption", "--model", repo.resolve("tiny/fp32").toString(), bad[0], bad[1],
                    Fixtures.TINY.resolve("images/rocket.png").toString());
            assertThat(r.exit()).as(String.join(" ", bad)).isEqualTo(2);
            assertThat(r.err().strip().lines().findFirst()).as(String.join(" ", bad))
                    .hasValueSatisfying(l -> assertThat(l).contains(bad[0]));
        }
    }

    @Test
    void convertWritesAnFp16ComputeVariantThatCaptions() {
        CliRun r = cli("convert", "--checkpoint", Fixtures.TINY.toString(), "--repo", repo.toString(), "--name", "tiny16",
                "--precision", "fp16-compute");
        assertThat(r.exit()).as(r.err()).isZero();
        Path dir = repo.resolve("tiny16/fp16-compute");
        JsonNode m = JsonMapper.builder().build().readTree(dir.resolve("manifest.json").toFile());
        assertThat(m.get("precision").asString()).isEqualTo("fp16-compute");
        assertThat(m.get("method").get("parameters").get("compute").asString()).isEqualTo("fp16");
        assertThat(m.get("components").get("decoder").get("cuda").asString()).startsWith("fp16 compute");
        CliRun c = cli("caption", "--model", dir.toString(), "--json", Fixtures.TINY.resolve("images/astronaut.png").toString());
        assertThat(c.exit()).as(c.err()).isZero();
        assertThat(c.out()).contains("\"token_ids\"");
    }

    @Test
    void anUnknownFloatPrecisionListsTheFloatVariants() {
        CliRun r = cli("convert", "--checkpoint", Fixtures.TINY.toString(), "--repo", tmp.resolve("r4").toString(), "--precision", "bf16");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip().lines()).hasSize(1).first().asString()
                .contains("fp32, fp16, fp16-compute").contains("'bf16'").contains("use quantize");
    }

    @Test
    void convertingATruncatedCheckpointNamesTheFile() throws IOException {
        Path ckpt = copyTiny("truncated");
        Path weights = ckpt.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(all, all.length / 2));
        CliRun r = cli("convert", "--checkpoint", ckpt.toString(), "--repo", tmp.resolve("r2").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip().lines()).hasSize(1).first().asString().contains("model.safetensors");
    }

    @Test
    void convertingAT5CheckpointSaysNotSupported() throws IOException {
        Path ckpt = copyTiny("t5");
        Path config = ckpt.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"model_type\": \"opt\"", "\"model_type\": \"t5\""));
        CliRun r = cli("convert", "--checkpoint", ckpt.toString(), "--repo", tmp.resolve("r3").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("language model 't5' is not supported");
    }

    @Test
    void unknownCommandIsAUsageError() {
        assertThat(cli("frobnicate").exit()).isEqualTo(2);
    }

    @Test
    void evalPrintsEveryMetric() {
        Path shapes = tmp.resolve("shapes-repo");
        CliRun c = cli("convert", "--checkpoint", Fixtures.SHAPES.toString(), "--repo", shapes.toString(), "--precision", "fp32");
        assertThat(c.exit()).as(c.err()).isZero();
        CliRun r = cli("eval", "--model", shapes.resolve("shapes-blip2/fp32").toString(), "--dataset", Fixtures.SHAPES_EVAL.toString(),
                "--limit", "8", "--json", "--output", tmp.resolve("captions.json").toString(),
                "--spice-cache", tmp.resolve("spice-cache.jsonl").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode report = JsonMapper.builder().build().readTree(r.out());
        for (String key : List.of("cider_d", "bleu_1", "bleu_4", "rouge_l", "exact_match", "qa_accuracy",
                "latency_p50_ms", "latency_p95_ms", "bytes_on_disk")) {
            assertThat(report.has(key)).as(key).isTrue();
        }
        assertThat(report.get("items").asInt()).isEqualTo(8);
        assertThat(report.get("cider_d").asDouble()).isPositive();
        JsonNode captions = JsonMapper.builder().build().readTree(tmp.resolve("captions.json").toFile());
        assertThat(captions.get("items").size()).isEqualTo(8);
        assertThat(captions.get("items").get(0).get("caption_ms").isNumber()).isTrue();
        assertThat(JsonKeys.camelCase(report)).as("camelCase keys").isEmpty();
        assertThat(JsonKeys.camelCase(captions)).as("camelCase keys").isEmpty();
        assertThat(List.copyOf(captions.propertyNames())).containsExactly("report", "items");
    }

    @Test
    void benchWritesMarkdownAndJsonWithRatios() throws IOException {
        Path prefix = tmp.resolve("bench/tiny");
        CliRun r = cli("bench", "--model", repo.resolve("tiny/fp32").toString(), "--model", repo.resolve("tiny/fp16").toString(),
                "--batch-sizes", "1,8", "--new-tokens", "3", "--warmup", "0", "--iterations", "1", "--bandwidth-mb", "16",
                "--out", prefix.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode json = JsonMapper.builder().build().readTree(Files.readString(tmp.resolve("bench/tiny.json")));
        assertThat(json.get("variants").size()).isEqualTo(2);
        assertThat(json.get("variants").get(0).get("batches").size()).isEqualTo(2);
        assertThat(json.get("ratios").has("fp32_batch8_over_batch1_captions_per_s")).isTrue();
        assertThat(Files.readString(tmp.resolve("bench/tiny.md"))).contains("| fp16 | 8 |").doesNotContain("Paired ratios");
        assertThat(json.get("paired_ratios").size()).isZero();
        assertThat(json.get("variants").get(0).get("batches").get(0).get("latency_p50_ms").isNumber()).isTrue();
        assertThat(JsonKeys.camelCase(json)).as("camelCase keys").isEmpty();
    }

    @Test
    void interleavedBenchPairsEveryRoundAgainstTheFirstVariant() throws IOException {
        Path prefix = tmp.resolve("bench/interleaved");
        CliRun r = cli("bench", "--interleave", "--model", repo.resolve("tiny/fp32").toString(), "--model",
                repo.resolve("tiny/fp16").toString(), "--batch-sizes", "1,2", "--new-tokens", "3", "--warmup", "0",
                "--iterations", "3", "--bandwidth-mb", "16", "--out", prefix.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode json = JsonMapper.builder().build().readTree(Files.readString(tmp.resolve("bench/interleaved.json")));
        assertThat(json.get("variants").size()).isEqualTo(2);
        assertThat(json.get("variants").get(1).get("batches").get(1).get("iterations").asInt()).isEqualTo(3);
        assertThat(JsonKeys.camelCase(json)).as("camelCase keys").isEmpty();
        JsonNode paired = json.get("paired_ratios");
        assertThat(paired.size()).isEqualTo(4);   // fp16 against fp32: two batch sizes, two measures
        for (JsonNode p : paired) {
            assertThat(p.get("baseline").asString()).isEqualTo("fp32");
            assertThat(p.get("precision").asString()).isEqualTo("fp16");
            assertThat(p.get("rounds").asInt()).isEqualTo(3);
            assertThat(p.get("median").asDouble()).isPositive()
                    .isBetween(p.get("low").asDouble(), p.get("high").asDouble());
        }
        assertThat(Files.readString(tmp.resolve("bench/interleaved.md")))
                .contains("Paired ratios (interleaved rounds", "| fp32 / fp16 | 2 | ms_per_token | 3 |", "(all kept open: interleaved)");
    }

    static Path copyTiny(String name) throws IOException {
        Path dst = Files.createDirectories(tmp.resolve(name));
        try (Stream<Path> files = Files.list(Fixtures.TINY)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        return dst;
    }
}
