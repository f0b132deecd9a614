package dev.blip2serve.serve.openai;

import dev.blip2serve.serve.ServeProperties;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.BooleanSchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.NumberSchema;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.parameters.RequestBody;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI description of {@code POST /v1/chat/completions}: the controller reads its JSON by hand (to name
 * OpenAI's parameter in every refusal), so the request, the two answers and the error shape are written out here.
 */
@Configuration(proxyBeanMethods = false)
public class ChatOpenApi {

    static final String ERROR = "OpenAiError";
    static final String PATH = "/v1/chat/completions";

    @Bean
    OpenApiCustomizer chatCompletionsOperation(ServeProperties properties) {
        return openApi -> {
            PathItem item = openApi.getPaths() == null ? null : openApi.getPaths().get(PATH);
            if (item == null || item.getPost() == null) {
                return;
            }
            openApi.getComponents().addSchemas(ERROR, errorSchema());
            openApi.getComponents().getSchemas().remove("ResponseBodyEmitter");
            Operation op = item.getPost();
            op.operationId("chatCompletions").tags(List.of("openai"))
                    .summary("OpenAI-compatible chat completion about one image").description("""
                            OpenAI's chat completions for vision: one user message holds the image as an `image_url` \
                            content part with a `data:image/...;base64,` URL (remote `https://` URLs only where the \
                            operator enabled them); no text captions it, text asks a question (BLIP-2's \
                            `Question: ... Answer:`, earlier turns as vLLM's BLIP-2 template renders them). `model` is \
                            `<model>:<precision>` or a model name for its default precision (`GET /v1/models`, \
                            `data[].id`). Runs through the same queues, batching and deadlines as `/v1/captions`. \
                            Errors are OpenAI's `{"error": {"message", "type", "param", "code"}}`.""");
            op.setParameters(null);
            op.requestBody(new RequestBody().required(true).content(new Content().addMediaType("application/json",
                    new MediaType().schema(requestSchema(properties)))));
            ApiResponses responses = new ApiResponses();
            responses.addApiResponse("200", new ApiResponse().description("""
                    A `chat.completion`, or with `stream` Server-Sent Events: `data: <chat.completion.chunk>` frames \
                    and `data: [DONE]`""").content(new Content()
                    .addMediaType("application/json", new MediaType().schema(completionSchema()))
                    .addMediaType("text/event-stream", new MediaType().schema(new StringSchema().example(
                            "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
                                    + "{\"content\":\"a\"},\"finish_reason\":null}]}\n\ndata: [DONE]\n\n")))));
            error(responses, "400", "invalid_request_error: a parameter (`param`), no image or more than one, an image "
                    + "that cannot be decoded (`invalid_image`), a remote URL refused");
            error(responses, "404", "not_found_error `model_not_found`: no such model or precision");
            error(responses, "405", "Only POST");
            error(responses, "413", "The image or body is larger than the limit");
            error(responses, "415", "Not application/json");
            error(responses, "429", "rate_limit_error: the variant's queue is full; retry after `Retry-After`");
            error(responses, "503", "server_error: the variant is loading or failed, the deadline passed, or the "
                    + "service is shutting down");
            error(responses, "500", "server_error: the model failed; details are in the server log only");
            op.setResponses(responses);
        };
    }

    private static void error(ApiResponses responses, String status, String description) {
        ApiResponse r = new ApiResponse().description(description).content(new Content().addMediaType(
                "application/json", new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + ERROR))));
        if (status.equals("429") || status.equals("503")) {
            r.addHeaderObject("Retry-After", new Header().description("Seconds to wait before retrying")
                    .schema(new IntegerSchema()));
        }
        responses.addApiResponse(status, r);
    }

    private static Schema<?> requestSchema(ServeProperties properties) {
        ServeProperties.Limits limits = properties.limits();
        Map<String, Schema> p = new LinkedHashMap<>();
        p.put("model", new StringSchema().example("shapes-blip2:fp16").description("`<model>:<precision>` or a model name"));
        Map<String, Schema> part = new LinkedHashMap<>();
        part.put("type", new StringSchema()._enum(List.of("text", "image_url")));
        part.put("text", new StringSchema());
        part.put("image_url", new ObjectSchema().addProperty("url", new StringSchema()
                .description("data:image/png;base64,... (or https://... where enabled)"))
                .addProperty("detail", new StringSchema().description("accepted and ignored")));
        Map<String, Schema> message = new LinkedHashMap<>();
        message.put("role", new StringSchema()._enum(List.of("system", "developer", "user", "assistant"))
                .description("system and developer turns are accepted and left out of BLIP-2's prompt"));
        message.put("content", new Schema<>().description("a string, or a list of content parts")
                .oneOf(List.of(new StringSchema(), new ArraySchema().items(new ObjectSchema().properties(part)))));
        p.put("messages", new ArraySchema().items(new ObjectSchema().properties(message).required(List.of("role")))
                .description("exactly one image part in all; the last message is the user's"));
        p.put("max_completion_tokens", integer(1, limits.maxNewTokens(), "new tokens at most (EOS included); default "
                + Math.min(properties.defaultMaxNewTokens(), limits.maxNewTokens())));
        p.put("max_tokens", integer(1, limits.maxNewTokens(), "the older name of max_completion_tokens"));
        p.put("n", integer(1, limits.maxBeams(), "choices: n > 1 is beam search with n beams, the n best"));
        p.put("temperature", number(0, 2, "0 or absent: the most likely tokens; > 0: seeded sampling (n 1 only)"));
        p.put("top_p", number(0, 1, "nucleus sampling with temperature > 0; default 1"));
        p.put("seed", new IntegerSchema().format("int64").description("seeds the sampling; absent: a random seed"));
        p.put("stop", new Schema<>().description("up to 4 strings; the text ends before the first that appears")
                .oneOf(List.of(new StringSchema(), new ArraySchema().items(new StringSchema()).maxItems(4))));
        p.put("logprobs", new BooleanSchema().description("per-token log-probabilities (n 1, not streamed)"));
        p.put("top_logprobs", integer(0, ChatRequest.MAX_TOP_LOGPROBS, "alternatives per token; needs logprobs"));
        p.put("stream", new BooleanSchema().description("answer as chat.completion.chunk Server-Sent Events"));
        p.put("stream_options", new ObjectSchema().addProperty("include_usage", new BooleanSchema()));
        return new ObjectSchema().properties(p).required(List.of("model", "messages"));
    }

    private static Schema<?> completionSchema() {
        Map<String, Schema> choice = new LinkedHashMap<>();
        choice.put("index", new IntegerSchema());
        choice.put("message", new ObjectSchema().addProperty("role", new StringSchema()._enum(List.of("assistant")))
                .addProperty("content", new StringSchema()));
        choice.put("logprobs", new ObjectSchema().description("null unless asked").nullable(true));
        choice.put("finish_reason", new StringSchema()._enum(List.of("stop", "length")));
        Map<String, Schema> usage = new LinkedHashMap<>();
        usage.put("prompt_tokens", new IntegerSchema().description("image query positions + prompt tokens (BOS included)"));
        usage.put("completion_tokens", new IntegerSchema().description("new tokens of every choice, EOS excluded"));
        usage.put("total_tokens", new IntegerSchema());
        Map<String, Schema> p = new LinkedHashMap<>();
        p.put("id", new StringSchema().example("chatcmpl-4ac70d31-3fd0-45c6-8174-9c3cce1eb892"));
        p.put("object", new StringSchema()._enum(List.of("chat.completion")));
        p.put("created", new IntegerSchema().format("int64"));
        p.put("model", new StringSchema().example("shapes-blip2:fp16"));
        p.put("choices", new ArraySchema().items(new ObjectSchema().properties(choice)));
        p.put("usage", new ObjectSchema().properties(usage));
        return new ObjectSchema().properties(p);
    }

    private static Schema<?> errorSchema() {
        Map<String, Schema> e = new LinkedHashMap<>();
        e.put("message", new StringSchema().description("one line, safe to show"));
        e.put("type", new StringSchema().example("invalid_request_error")
                .description("invalid_request_error, not_found_error, rate_limit_error or server_error"));
        e.put("param", new StringSchema().nullable(true).example("messages[0].content[1].image_url.url"));
        e.put("code", new StringSchema().example("model_not_found")
                .description("the service's problem type in snake case (model_not_found, invalid_image, ...)"));
        return new ObjectSchema().description("OpenAI's error shape").addProperty("error", new ObjectSchema()
                .properties(e).required(List.of("message", "type", "param", "code")));
    }

    private static Schema<?> integer(int min, int max, String description) {
        return new IntegerSchema().minimum(BigDecimal.valueOf(min)).maximum(BigDecimal.valueOf(max)).description(description);
    }

    private static Schema<?> number(double min, double max, String description) {
        return new NumberSchema().minimum(BigDecimal.valueOf(min)).maximum(BigDecimal.valueOf(max)).description(description);
    }
}
