package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code /v1/chat/completions} and {@code /v1/models} through a client nobody here wrote: the official {@code openai}
 * npm package (exact version in {@code src/test/openai-client/package-lock.json}) run by Node
 * ({@code src/test/openai-client/chat.mjs}) against the real service on a random loopback port. A caption (fp32 and
 * fp16), a question, n=2, a stream with usage, an unknown model, a bad image and the model list; every text must
 * equal what {@code POST /v1/captions} answers for the same image, precision and options. Besides, over plain HTTP:
 * per-token log-probabilities and seeded sampling on the real engine.
 *
 * <p>Needs {@code node} and {@code npm ci} in {@code src/test/openai-client} ({@code .ci/run} does it). Without them
 * the SDK test is skipped, unless {@code BLIP2_REQUIRE_OPENAI_CLIENT} is set (CI sets it), in which case it fails.
 */
class OpenAiSdkTest extends RealServiceTest {

    private static final Path SCRIPT = Path.of("src/test/openai-client/chat.mjs");
    private static final Path SDK = Path.of("src/test/openai-client/node_modules/openai/package.json");
    private static final Duration BOUND = Duration.ofMinutes(10); // waiting bound, not a latency check

    @Test
    void theOfficialSdkGetsTheCaptionsOfV1Captions() throws Exception {
        requireSdk();
        JsonNode got = NodeScripts.run("the SDK script", BOUND, List.of(SCRIPT.toString(),
                "http://127.0.0.1:" + port + "/v1", IMAGE.toString()));

        JsonNode reference = captions("", "fp32", 1);
        String caption = reference.path("captions").get(0).path("text").asString();
        assertThat(caption).isNotBlank();
        JsonNode c = got.path("caption");
        assertThat(c.path("text").asString()).isEqualTo(caption);
        assertThat(c.path("object").asString()).isEqualTo("chat.completion");
        assertThat(c.path("model").asString()).isEqualTo("shapes-blip2:fp32");
        assertThat(c.path("role").asString()).isEqualTo("assistant");
        assertThat(c.path("finish_reason").asString()).isEqualTo("stop");
        int generated = reference.path("tokens").path("generated").asInt();
        assertThat(c.path("usage").path("completion_tokens").asInt()).isEqualTo(generated);
        int promptTokens = c.path("usage").path("prompt_tokens").asInt();
        assertThat(promptTokens).isGreaterThan(reference.path("tokens").path("prompt").asInt());
        assertThat(c.path("usage").path("total_tokens").asInt()).isEqualTo(promptTokens + generated);

        assertThat(got.path("fp16").asString()).isEqualTo(captions("", "fp16", 1).path("captions").get(0)
                .path("text").asString());
        JsonNode answer = captions("Question: what color is the background? Answer:", "fp32", 1, "max_new_tokens", "4");
        assertThat(got.path("question").asString()).isEqualTo(answer.path("captions").get(0).path("text").asString());

        JsonNode beams = captions("", "fp32", 2);
        List<String> nBest = new ArrayList<>();
        beams.path("captions").forEach(b -> nBest.add(b.path("text").asString()));
        List<String> n2 = new ArrayList<>();
        got.path("n2").forEach(t -> n2.add(t.asString()));
        assertThat(n2).hasSize(2).isEqualTo(nBest);

        JsonNode stream = got.path("stream");
        assertThat(stream.path("text").asString()).isEqualTo(caption);
        assertThat(stream.path("chunks").asInt()).isGreaterThan(2);
        assertThat(stream.path("finish_reason").asString()).isEqualTo("stop");
        assertThat(stream.path("usage").path("completion_tokens").asInt()).isEqualTo(generated);
        assertThat(stream.path("usage").path("prompt_tokens").asInt()).isEqualTo(promptTokens);

        JsonNode unknown = got.path("unknown_model");
        assertThat(unknown.path("status").asInt()).isEqualTo(404);
        assertThat(unknown.path("is_not_found").asBoolean()).isTrue();
        assertThat(unknown.path("type").asString()).isEqualTo("not_found_error");
        assertThat(unknown.path("code").asString()).isEqualTo("model_not_found");
        assertThat(unknown.path("param").asString()).isEqualTo("model");
        assertThat(unknown.path("message").asString()).contains("gpt-4o", "shapes-blip2:fp32");

        JsonNode bad = got.path("bad_image");
        assertThat(bad.path("status").asInt()).isEqualTo(400);
        assertThat(bad.path("is_bad_request").asBoolean()).isTrue();
        assertThat(bad.path("type").asString()).isEqualTo("invalid_request_error");
        assertThat(bad.path("code").asString()).isEqualTo("invalid_image");

        List<String> ids = new ArrayList<>();
        for (JsonNode m : got.path("models")) {
            ids.add(m.path("id").asString());
            assertThat(m.path("object").asString()).isEqualTo("model");
            assertThat(m.path("owned_by").asString()).isEqualTo("blip2-serve");
        }
        assertThat(ids).contains("shapes-blip2", "shapes-blip2:fp32", "shapes-blip2:fp16");
    }

    @Test
    void logprobsAndSeededSamplingOnTheRealEngine() throws Exception {
        JsonNode reference = captions("", "fp32", 1);
        String caption = reference.path("captions").get(0).path("text").asString();
        JsonNode answer = chat("\"logprobs\":true,\"top_logprobs\":2");
        assertThat(answer.path("choices").get(0).path("message").path("content").asString()).isEqualTo(caption);
        StringBuilder joined = new StringBuilder();
        double sum = 0;
        for (JsonNode t : answer.path("choices").get(0).path("logprobs").path("content")) {
            joined.append(t.path("token").asString());
            double lp = t.path("logprob").asDouble();
            sum += lp;
            assertThat(lp).isNegative();
            assertThat(t.path("top_logprobs")).hasSize(2);
            // greedy: the chosen token is the most likely one
            assertThat(t.path("top_logprobs").get(0).path("token").asString()).isEqualTo(t.path("token").asString());
            assertThat(t.path("top_logprobs").get(0).path("logprob").asDouble()).isEqualTo(lp);
            assertThat(t.path("top_logprobs").get(1).path("logprob").asDouble()).isLessThanOrEqualTo(lp);
        }
        assertThat(joined.toString().strip()).isEqualTo(caption);
        // /v1/captions' logprob also counts the EOS that ended the caption
        assertThat(reference.path("captions").get(0).path("logprob").asDouble()).isLessThanOrEqualTo(sum + 1e-4);

        JsonNode first = chat("\"temperature\":1.5,\"seed\":1234");
        JsonNode again = chat("\"temperature\":1.5,\"seed\":1234");
        assertThat(again.path("choices").get(0).path("message").path("content").asString())
                .isEqualTo(first.path("choices").get(0).path("message").path("content").asString());
    }

    private JsonNode chat(String extra) throws Exception {
        String url = "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(IMAGE));
        String body = "{\"model\":\"shapes-blip2:fp32\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
                + "\"image_url\",\"image_url\":{\"url\":\"" + url + "\"}}]}]," + extra + "}";
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    /** {@code POST /v1/captions} (raw body) with the prompt, precision and n-best, plus extra query parameters. */
    private JsonNode captions(String prompt, String precision, int n, String... extra) throws Exception {
        StringBuilder query = new StringBuilder("?precision=" + precision + "&num_beams=" + n + "&num_captions=" + n
                + "&prompt=" + java.net.URLEncoder.encode(prompt, StandardCharsets.UTF_8));
        for (int i = 0; i + 1 < extra.length; i += 2) {
            query.append('&').append(extra[i]).append('=').append(extra[i + 1]);
        }
        HttpResponse<String> r = send(postPng("/v1/captions" + query, Files.readAllBytes(IMAGE)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    /** Skipped on a machine without node or the SDK, unless BLIP2_REQUIRE_OPENAI_CLIENT is set. */
    private static void requireSdk() {
        List<String> missing = new ArrayList<>();
        if (!NodeScripts.onPath("node")) {
            missing.add("node");
        }
        if (!Files.isRegularFile(SDK)) {
            missing.add("the openai package (cd src/test/openai-client && npm ci)");
        }
        NodeScripts.requireOrSkip("the OpenAI SDK test", missing, "BLIP2_REQUIRE_OPENAI_CLIENT");
    }
}
