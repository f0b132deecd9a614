package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.blip2serve.generation.Sampling;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.ResultActions;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /v1/chat/completions} against fake variants: the request mapping (prompt template, max tokens, n,
 * sampling, stop, logprobs), the {@code chat.completion} shape, the stream's frames, and OpenAI's error shape with
 * its statuses for every refusal.
 */
class ChatCompletionsApiTest extends FakeServiceTest {

    private final JsonMapper json = JsonMapper.builder().build();

    private String dataUrl() {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
    }

    private String imagePart() {
        return "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + dataUrl() + "\",\"detail\":\"low\"}}";
    }

    /** A body with one user message: the image and, when not null, a text part; then {@code extra} members. */
    private String body(String model, String text, String extra) {
        String parts = text == null ? imagePart() : "{\"type\":\"text\",\"text\":\"" + text + "\"}," + imagePart();
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":[" + parts + "]}]"
                + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    private ResultActions chat(String body) throws Exception {
        return mvc.perform(post("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).content(body));
    }

    private ResultActions expectError(ResultActions r, int status, String type, String code, String param)
            throws Exception {
        r.andExpect(status().is(status))
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_JSON))
                .andExpect(jsonPath("$.error.message").isNotEmpty())
                .andExpect(jsonPath("$.error.type").value(type))
                .andExpect(jsonPath("$.error.code").value(code))
                .andExpect(jsonPath("$.type").doesNotExist());
        if (param == null) {
            r.andExpect(jsonPath("$.error.param").isEmpty());
        } else {
            r.andExpect(jsonPath("$.error.param").value(param));
        }
        return r;
    }

    // ------------------------------------------------------------------ answers

    @Test
    void anImageAloneIsAPlainCaptionInTheChatCompletionShape() throws Exception {
        chat(body("shapes-blip2:fp32", null, "")).andExpect(status().isOk())
                .andExpect(jsonPath("$.id").value(org.hamcrest.Matchers.startsWith("chatcmpl-")))
                .andExpect(jsonPath("$.object").value("chat.completion"))
                .andExpect(jsonPath("$.created").isNumber())
                .andExpect(jsonPath("$.model").value("shapes-blip2:fp32"))
                .andExpect(jsonPath("$.choices.length()").value(1))
                .andExpect(jsonPath("$.choices[0].index").value(0))
                .andExpect(jsonPath("$.choices[0].message.role").value("assistant"))
                .andExpect(jsonPath("$.choices[0].message.content").value(FakeCaptionModel.TEXT))
                .andExpect(jsonPath("$.choices[0].finish_reason").value("stop"))
                .andExpect(jsonPath("$.choices[0].logprobs").isEmpty())
                // 16 image queries + BOS; 3 new tokens
                .andExpect(jsonPath("$.usage.prompt_tokens").value(17))
                .andExpect(jsonPath("$.usage.completion_tokens").value(3))
                .andExpect(jsonPath("$.usage.total_tokens").value(20));
        assertThat(fp32.lastPrompt).isEmpty();
        assertThat(fp32.lastParams.numBeams()).isEqualTo(1);
        assertThat(fp32.lastParams.sampling()).isNull();
        assertThat(fp32.lastParams.topLogprobs()).isEqualTo(-1);
        assertThat(meters.find("blip2.caption.latency").tag("api", "chat_completions").tag("precision", "fp32")
                .tag("outcome", "success").timer()).isNotNull();
    }

    @Test
    void textIsAQuestionAndTheModelIdPicksThePrecision() throws Exception {
        chat(body("shapes-blip2:fp16", "what shape is it?", "\"max_completion_tokens\":7")).andExpect(status().isOk())
                .andExpect(jsonPath("$.model").value("shapes-blip2:fp16"));
        assertThat(fp16.lastPrompt).isEqualTo("Question: what shape is it? Answer:");
        assertThat(fp16.lastParams.maxNewTokens()).isEqualTo(7);
        // a bare model name is its default precision; max_tokens is the older name
        chat(body("shapes-blip2", null, "\"max_tokens\":5")).andExpect(status().isOk())
                .andExpect(jsonPath("$.model").value("shapes-blip2:fp32"));
        assertThat(fp32.lastParams.maxNewTokens()).isEqualTo(5);
    }

    @Test
    void earlierTurnsAreRenderedAsVllmsBlip2TemplateDoes() throws Exception {
        String body = "{\"model\":\"shapes-blip2\",\"messages\":["
                + "{\"role\":\"system\",\"content\":\"You are helpful.\"},"
                + "{\"role\":\"user\",\"content\":[" + imagePart() + "]},"
                + "{\"role\":\"assistant\",\"content\":\"a red circle\"},"
                + "{\"role\":\"user\",\"content\":\"what color is it?\"}]}";
        chat(body).andExpect(status().isOk());
        assertThat(fp32.lastPrompt).isEqualTo("Answer: a red circle Question: what color is it? Answer:");
    }

    @Test
    void nChoicesComeFromBeamSearch() throws Exception {
        chat(body("shapes-blip2", null, "\"n\":2")).andExpect(status().isOk())
                .andExpect(jsonPath("$.choices.length()").value(2))
                .andExpect(jsonPath("$.choices[0].message.content").value("a red circle"))
                .andExpect(jsonPath("$.choices[1].index").value(1))
                .andExpect(jsonPath("$.choices[1].message.content").value("a red square"))
                .andExpect(jsonPath("$.usage.completion_tokens").value(6));
        assertThat(fp32.lastParams.numBeams()).isEqualTo(2);
        assertThat(fp32.lastParams.numReturn()).isEqualTo(2);
    }

    @Test
    void maxTokensReachedIsLengthAndAStopStringCutsTheText() throws Exception {
        chat(body("shapes-blip2", null, "\"max_tokens\":3")).andExpect(status().isOk())
                .andExpect(jsonPath("$.choices[0].finish_reason").value("length"));
        chat(body("shapes-blip2", null, "\"max_tokens\":3,\"stop\":[\"zzz\",\" circle\"]")).andExpect(status().isOk())
                .andExpect(jsonPath("$.choices[0].message.content").value("a red"))
                .andExpect(jsonPath("$.choices[0].finish_reason").value("stop"));
        chat(body("shapes-blip2", null, "\"stop\":\"red\"")).andExpect(status().isOk())
                .andExpect(jsonPath("$.choices[0].message.content").value("a "));
    }

    @Test
    void temperatureSamplesWithTheSeedAndZeroIsGreedy() throws Exception {
        chat(body("shapes-blip2", null, "\"temperature\":0.7,\"top_p\":0.9,\"seed\":5")).andExpect(status().isOk());
        assertThat(fp32.lastParams.sampling()).isEqualTo(new Sampling(0.7, 0.9, 5));
        chat(body("shapes-blip2", null, "\"temperature\":0,\"top_p\":0.5,\"seed\":5")).andExpect(status().isOk());
        assertThat(fp32.lastParams.sampling()).isNull();
        chat(body("shapes-blip2", null, "\"temperature\":1.2")).andExpect(status().isOk());
        assertThat(fp32.lastParams.sampling().temperature()).isEqualTo(1.2);
        assertThat(fp32.lastParams.sampling().topP()).isEqualTo(1.0);
    }

    @Test
    void logprobsAskTheGeneratorForAlternatives() throws Exception {
        chat(body("shapes-blip2", null, "\"logprobs\":true,\"top_logprobs\":3")).andExpect(status().isOk())
                .andExpect(jsonPath("$.choices[0].logprobs.content").isArray());
        assertThat(fp32.lastParams.topLogprobs()).isEqualTo(3);
        chat(body("shapes-blip2", null, "\"logprobs\":true")).andExpect(status().isOk());
        assertThat(fp32.lastParams.topLogprobs()).isZero();
    }

    // ------------------------------------------------------------------ stream

    @Test
    void streamSendsChunkFramesUsageAndDone() throws Exception {
        List<JsonNode> frames = stream(body("shapes-blip2", null, "\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertThat(frames.getFirst().path("object").asString()).isEqualTo("chat.completion.chunk");
        assertThat(frames.getFirst().path("choices").get(0).path("delta").path("role").asString()).isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (JsonNode f : frames.subList(0, frames.size() - 1)) {
            assertThat(f.path("id").asString()).isEqualTo(frames.getFirst().path("id").asString());
            assertThat(f.path("model").asString()).isEqualTo("shapes-blip2:fp32");
            assertThat(f.has("usage")).isTrue();
            assertThat(f.path("usage").isNull()).isTrue();
            JsonNode choice = f.path("choices").get(0);
            text.append(choice.path("delta").path("content").asString(""));
            if (!choice.path("finish_reason").isNull()) {
                finish = choice.path("finish_reason").asString();
            }
        }
        assertThat(text.toString()).isEqualTo(FakeCaptionModel.TEXT);
        assertThat(finish).isEqualTo("stop");
        JsonNode usage = frames.getLast();
        assertThat(usage.path("choices")).isEmpty();
        assertThat(usage.path("usage").path("total_tokens").asInt()).isEqualTo(20);
    }

    @Test
    void streamHoldsBackAStopStringAndStreamsBeamsWhole() throws Exception {
        List<JsonNode> frames = stream(body("shapes-blip2", null, "\"stream\":true,\"stop\":\" circle\""));
        StringBuilder text = new StringBuilder();
        for (JsonNode f : frames) {
            assertThat(f.has("usage")).as("no usage without include_usage").isFalse();
            text.append(f.path("choices").get(0).path("delta").path("content").asString(""));
        }
        assertThat(text.toString()).isEqualTo("a red");

        List<JsonNode> beams = stream(body("shapes-blip2", null, "\"stream\":true,\"n\":2"));
        List<String> texts = new ArrayList<>(List.of("", ""));
        for (JsonNode f : beams) {
            JsonNode c = f.path("choices").get(0);
            int i = c.path("index").asInt();
            texts.set(i, texts.get(i) + c.path("delta").path("content").asString(""));
        }
        assertThat(texts).containsExactly("a red circle", "a red square");
    }

    /** The frames of a stream, parsed; checks the framing and the final {@code data: [DONE]}. */
    private List<JsonNode> stream(String body) throws Exception {
        MvcResult started = chat(body).andReturn();
        started.getAsyncResult(30_000);
        assertThat(started.getResponse().getContentType()).startsWith("text/event-stream");
        String raw = started.getResponse().getContentAsString(StandardCharsets.UTF_8);
        assertThat(raw).endsWith("data: [DONE]\n\n");
        List<JsonNode> frames = new ArrayList<>();
        for (String block : raw.split("\n\n")) {
            assertThat(block).startsWith("data: ").doesNotContain("\n");
            String data = block.substring("data: ".length());
            if (!data.equals("[DONE]")) {
                frames.add(json.readTree(data));
            }
        }
        return frames;
    }

    // ------------------------------------------------------------------ errors

    @Test
    void unknownModelsAndPrecisionsAre404ModelNotFound() throws Exception {
        expectError(chat(body("gpt-4o", null, "")), 404, "not_found_error", "model_not_found", "model")
                .andExpect(jsonPath("$.error.message").value(org.hamcrest.Matchers.containsString("shapes-blip2:fp16")));
        expectError(chat(body("shapes-blip2:int3", null, "")), 404, "not_found_error", "model_not_found", "model");
    }

    @Test
    void imagesMustBeExactlyOne() throws Exception {
        expectError(chat("{\"model\":\"shapes-blip2\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}"),
                400, "invalid_request_error", "invalid_parameter", "messages")
                .andExpect(jsonPath("$.error.message").value(org.hamcrest.Matchers.containsString("no image")));
        String two = "{\"model\":\"shapes-blip2\",\"messages\":[{\"role\":\"user\",\"content\":[" + imagePart() + ","
                + imagePart() + "]}]}";
        expectError(chat(two), 400, "invalid_request_error", "invalid_parameter", "messages[0].content[1].image_url.url")
                .andExpect(jsonPath("$.error.message").value(org.hamcrest.Matchers.containsString("exactly one image")));
    }

    @Test
    void badImagesAre400InvalidImage() throws Exception {
        String notAnImage = "data:image/png;base64," + Base64.getEncoder().encodeToString("not a png".getBytes());
        expectError(chat(body("shapes-blip2", null, "").replace(dataUrl(), notAnImage)), 400, "invalid_request_error",
                "invalid_image", "messages");
        expectError(chat(body("shapes-blip2", null, "").replace(dataUrl(), "data:image/png;base64,***")), 400,
                "invalid_request_error", "invalid_image", "messages[0].content[0].image_url.url");
        expectError(chat(body("shapes-blip2", null, "").replace(dataUrl(), "file:///etc/passwd")), 400,
                "invalid_request_error", "invalid_parameter", "messages[0].content[0].image_url.url");
        expectError(chat(body("shapes-blip2", null, "").replace(dataUrl(), "https://example.com/cat.png")), 400,
                "invalid_request_error", "invalid_parameter", "messages[0].content[0].image_url.url")
                .andExpect(jsonPath("$.error.message").value(org.hamcrest.Matchers.containsString("turned off")));
    }

    @Test
    void parametersAreCheckedWithOpenAisNames() throws Exception {
        expectError(chat(body("shapes-blip2", null, "\"n\":9")), 400, "invalid_request_error", "invalid_parameter", "n");
        expectError(chat(body("shapes-blip2", null, "\"max_tokens\":0")), 400, "invalid_request_error",
                "invalid_parameter", "max_completion_tokens");
        expectError(chat(body("shapes-blip2", null, "\"max_tokens\":4,\"max_completion_tokens\":5")), 400,
                "invalid_request_error", "invalid_parameter", "max_tokens");
        expectError(chat(body("shapes-blip2", null, "\"temperature\":3")), 400, "invalid_request_error",
                "invalid_parameter", "temperature");
        expectError(chat(body("shapes-blip2", null, "\"n\":2,\"temperature\":0.5")), 400, "invalid_request_error",
                "invalid_parameter", "n");
        expectError(chat(body("shapes-blip2", null, "\"top_logprobs\":2")), 400, "invalid_request_error",
                "invalid_parameter", "top_logprobs");
        expectError(chat(body("shapes-blip2", null, "\"stream\":true,\"logprobs\":true")), 400, "invalid_request_error",
                "invalid_parameter", "logprobs");
        expectError(chat(body("shapes-blip2", null, "\"stream_options\":{\"include_usage\":true}")), 400,
                "invalid_request_error", "invalid_parameter", "stream_options");
        expectError(chat(body("shapes-blip2", null, "\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]")), 400,
                "invalid_request_error", "invalid_parameter", "stop");
        expectError(chat(body("shapes-blip2", null, "\"tools\":[]")), 400, "invalid_request_error",
                "invalid_parameter", "tools");
        expectError(chat(body("shapes-blip2", null, "\"presence_penalty\":0.5")), 400, "invalid_request_error",
                "invalid_parameter", "presence_penalty");
        expectError(chat("{\"messages\":[]}"), 400, "invalid_request_error", "invalid_parameter", "model");
        expectError(chat("{\"model\":\"shapes-blip2\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}"), 400,
                "invalid_request_error", "invalid_parameter", "messages[0].role");
        expectError(chat("{\"model\":"), 400, "invalid_request_error", "invalid_request", null);
        String longQuestion = "q".repeat(200);
        expectError(chat(body("shapes-blip2", longQuestion, "")), 400, "invalid_request_error", "invalid_parameter",
                "messages");
    }

    @Test
    void wrongMethodTypeAndUnavailableVariantsKeepTheShape() throws Exception {
        expectError(mvc.perform(get("/v1/chat/completions")), 405, "invalid_request_error", "method_not_allowed", null);
        expectError(mvc.perform(post("/v1/chat/completions").contentType("text/plain").content("hi")), 415,
                "invalid_request_error", "unsupported_media_type", null);
        expectError(chat(body("shapes-blip2:w8a8", null, "")), 503, "server_error", "variant_unavailable", null)
                .andExpect(header().string("Retry-After", "5"));
        expectError(chat(body("shapes-blip2:w4a4", null, "")), 503, "server_error", "variant_unavailable", null);
        fp32.failWith = new IllegalStateException("boom at /secret/path");
        expectError(chat(body("shapes-blip2", null, "")), 500, "server_error", "internal_error", null)
                .andExpect(content().string(org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString("secret"))));
    }

    @Test
    void aFullQueueIs429RateLimitedWithRetryAfter() throws Exception {
        fp32.entered = new CountDownLatch(1);
        fp32.release = new CountDownLatch(1);
        ExecutorService clients = Executors.newFixedThreadPool(6);
        try {
            List<Future<MvcResult>> held = new ArrayList<>();
            held.add(clients.submit(() -> chat(body("shapes-blip2", "first", "")).andReturn()));
            assertThat(fp32.entered.await(30, TimeUnit.SECONDS)).as("the engine was entered").isTrue();
            fp32.entered = null;
            var scheduler = variant("fp32").scheduler();
            for (int i = 0; i < 4; i++) {
                String q = "queued " + i;
                held.add(clients.submit(() -> chat(body("shapes-blip2", q, "")).andReturn()));
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (scheduler.admitted() < scheduler.capacity() && System.nanoTime() < end) {
                Thread.sleep(5);
            }
            expectError(chat(body("shapes-blip2", "one too many", "")), 429, "rate_limit_error", "rate_limit_exceeded",
                    null).andExpect(header().string("Retry-After", "3"));
            fp32.release.countDown();
            for (Future<MvcResult> f : held) {
                assertThat(f.get(30, TimeUnit.SECONDS).getResponse().getStatus()).isEqualTo(200);
            }
            // the four queued questions ran as one batch, as on /v1/captions
            assertThat(fp32.calls.getLast().prompts()).hasSize(4);
        } finally {
            fp32.release.countDown();
            clients.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ models, OpenAPI

    @Test
    void modelsAlsoAnswerInOpenAisListShape() throws Exception {
        mvc.perform(get("/v1/models")).andExpect(status().isOk())
                .andExpect(jsonPath("$.default_model").value("shapes-blip2"))
                .andExpect(jsonPath("$.variants").isArray())
                .andExpect(jsonPath("$.object").value("list"))
                .andExpect(jsonPath("$.data[?(@.id == 'shapes-blip2')].object").value("model"))
                .andExpect(jsonPath("$.data[?(@.id == 'shapes-blip2:fp16')].owned_by").value("blip2-serve"))
                .andExpect(jsonPath("$.data[?(@.id == 'shapes-blip2:fp32')].created").value(1735689600))
                .andExpect(jsonPath("$.data[?(@.id == 'shapes-blip2:w8a8')].created").value(0));
    }

    @Test
    void theOpenApiDocumentDescribesTheRoute() throws Exception {
        JsonNode doc = json.readTree(mvc.perform(get("/v3/api-docs")).andExpect(status().isOk()).andReturn()
                .getResponse().getContentAsString());
        JsonNode path = doc.path("paths").path("/v1/chat/completions");
        assertThat(path.has("post")).isTrue();
        assertThat(path.has("get")).as("the 405 handler is hidden").isFalse();
        JsonNode op = path.path("post");
        assertThat(op.path("requestBody").path("content").path("application/json").path("schema").path("required"))
                .extracting(JsonNode::asString).contains("model", "messages");
        assertThat(op.path("responses").path("200").path("content").has("text/event-stream")).isTrue();
        assertThat(op.path("responses").path("404").path("content").path("application/json").path("schema")
                .path("$ref").asString()).endsWith("/OpenAiError");
        assertThat(doc.path("components").path("schemas").path("OpenAiError").path("properties").has("error")).isTrue();
    }
}
