package dev.blip2serve.serve.web;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.blip2serve.serve.ServeProperties;
import io.swagger.v3.core.jackson.ModelResolver;
import io.swagger.v3.core.util.Json;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.BinarySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.NumberSchema;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.parameters.RequestBody;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.headers.Header;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document ({@code /v3/api-docs}, Swagger UI at {@code /swagger-ui.html}). The caption endpoints read
 * their parameters by hand (one parser for query, form fields and JSON members), so their parameters, request
 * bodies and problem responses are described here rather than derived from method signatures.
 */
@Configuration(proxyBeanMethods = false)
public class OpenApiConfig {

    private static final String PROBLEM = "Problem";
    private static final String PROBLEM_JSON = "application/problem+json";

    /** The API's JSON is snake_case (Jackson 3 {@code @JsonNaming}); swagger-core reads Jackson 2 annotations. */
    @Bean
    ModelResolver snakeCaseModelResolver() {
        return new ModelResolver(Json.mapper().copy().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE));
    }

    @Bean
    OpenAPI blip2OpenApi() {
        return new OpenAPI().info(new Info()
                .title("blip2-serve")
                .version("v1")
                .description("""
                        Image captioning and visual question answering with BLIP-2 variants (fp32, fp16 and \
                        quantized: W8A8 SmoothQuant, W4A16 AWQ, W4A4) on ONNX Runtime. Every request picks its \
                        variant with `precision`; `GET /v1/models` lists them with their state.

                        W4A4 is **simulated**: no runtime has W4A4 kernels, so activations are quantized and \
                        dequantized in the graph while weights are real 4-bit; `compute` in `/v1/models` says how \
                        each graph computes.

                        Every error is `application/problem+json` (RFC 9457) with a stable `type` under \
                        `https://blip2-serve.dev/problems/` and the `request_id`; every response carries \
                        `X-Request-Id`. 429 and retryable 503s carry `Retry-After`."""));
    }

    @Bean
    OpenApiCustomizer captionOperations(ServeProperties properties) {
        return openApi -> {
            openApi.getComponents().addSchemas(PROBLEM, problemSchema());
            // The stream's Java return type, not a schema of the API.
            openApi.getComponents().getSchemas().remove("SseEmitter");
            PathItem models = openApi.getPaths() == null ? null : openApi.getPaths().get("/v1/models");
            if (models != null && models.getGet() != null) {
                models.getGet().tags(List.of("models")).summary("List the variants").description("""
                        Every variant of the repository in every state (`building` in the background or `loading`, \
                        each with `detail`, `ready`, `failed` with `reason`), with what its manifest says: precision, method and parameters, calibration \
                        set, how each graph computes on CPU and CUDA, bytes on disk, and measured quality and latency \
                        when the manifest carries them. `memory.load_resident_delta_bytes` is the growth of the \
                        process RSS while the variant loaded (approximate).""");
            }
            describe(openApi, "/v1/captions", "caption", "Caption an image (or answer a question about it)",
                    """
                    Captions the image with one variant. A `prompt` such as `Question: what color is the shirt? \
                    Answer:` turns it into visual question answering. Requests with the same generation parameters \
                    that arrive together are captioned in one batch (`batch_size`).""",
                    false, properties, okJson(openApi, "CaptionResponse", "The captions with timings"));
            describe(openApi, "/v1/captions:compare", "compare", "Caption one image with several variants",
                    """
                    Captions the same image with each variant in `precisions` (comma-separated; default: every \
                    ready variant of the model), one after the other, and returns them side by side with their \
                    timings. A variant that cannot answer has `status` and `error` in its result; the others still \
                    answer.""",
                    true, properties, okJson(openApi, "CompareResponse", "One result per variant, in the order asked"));
            describe(openApi, "/v1/captions:stream", "stream", "Caption an image as Server-Sent Events",
                    """
                    Streams the caption: `event: start` (request id, variant, image), one `event: token` per new \
                    token (`{"index","token_id","text","caption"}`; the `text`s concatenate to the caption), then \
                    `event: result` with the same object `POST /v1/captions` returns, or `event: error` with a \
                    problem object. Each `data:` is one line of JSON. Token events need greedy search: with \
                    `num_beams` > 1 the stream has only `start` and `result` (beams are not final until the search \
                    ends). Refusals (bad parameters, unknown variant, full queue, undecodable image) come before the \
                    stream starts, as ordinary problem responses.""",
                    false, properties, new ApiResponse().description("The event stream").content(new Content()
                            .addMediaType("text/event-stream", new MediaType().schema(new StringSchema()
                                    .example("event: start\ndata: {\"request_id\":\"...\"}\n\nevent: token\n"
                                            + "data: {\"index\":0,\"token_id\":10,\"text\":\"a\",\"caption\":\"a\"}\n\n")))));
        };
    }

    private static ApiResponse okJson(OpenAPI openApi, String schema, String description) {
        return new ApiResponse().description(description).content(new Content().addMediaType(
                org.springframework.http.MediaType.APPLICATION_JSON_VALUE,
                new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + schema))));
    }

    private static void describe(OpenAPI openApi, String path, String id, String summary, String description,
                                 boolean compare, ServeProperties properties, ApiResponse ok) {
        PathItem item = openApi.getPaths() == null ? null : openApi.getPaths().get(path);
        if (item == null || item.getPost() == null) {
            return;
        }
        Operation op = item.getPost();
        op.operationId(id).summary(summary).description(description).tags(List.of("captions"));
        List<Parameter> params = new ArrayList<>();
        for (Map.Entry<String, Schema<?>> p : parameters(properties, compare).entrySet()) {
            params.add(new Parameter().in("query").name(p.getKey()).required(false)
                    .description(p.getValue().getDescription()).schema(p.getValue()));
        }
        op.setParameters(params);
        op.requestBody(requestBody(properties, compare));
        ApiResponses responses = new ApiResponses().addApiResponse("200", ok);
        problem(responses, "400", "A parameter is invalid (`parameter` names it; also a second `image` part or "
                + "another file part) or the request is malformed (also more than `max_parts` multipart parts)");
        problem(responses, "404", "Unknown model or precision (`available` lists what exists)");
        problem(responses, "413", "The image is larger than the limit (`limit_bytes`)");
        problem(responses, "414", "Request line too long (`limit_bytes`): send long prompts as form fields or JSON");
        problem(responses, "415", "Not multipart, image/*, application/octet-stream or JSON");
        problem(responses, "422", "The image cannot be decoded or is too large in pixels");
        problem(responses, "431", "Request headers too large (`limit_bytes`) or too many (`max_headers`)");
        if (!compare) {
            problem(responses, "429", "The variant's queue is full; retry after `Retry-After` seconds");
            problem(responses, "503", "The variant is building, loading or failed (`state`), the deadline passed "
                    + "(`deadline-exceeded`), or the service is shutting down");
        }
        problem(responses, "500", "The model failed; details are in the server log only");
        op.setResponses(responses);
    }

    private static void problem(ApiResponses responses, String status, String description) {
        ApiResponse r = new ApiResponse().description(description).content(new Content().addMediaType(PROBLEM_JSON,
                new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM))));
        if (status.equals("429") || status.equals("503")) {
            r.addHeaderObject("Retry-After", new Header().description("Seconds to wait before retrying")
                    .schema(new IntegerSchema()));
        }
        responses.addApiResponse(status, r);
    }

    /** The caption parameters with their limits from the configuration. */
    private static Map<String, Schema<?>> parameters(ServeProperties properties, boolean compare) {
        ServeProperties.Limits limits = properties.limits();
        Map<String, Schema<?>> m = new LinkedHashMap<>();
        m.put("model", new StringSchema()._default(properties.defaultModel()).description("Repository model"));
        if (compare) {
            m.put("precisions", new StringSchema().description("Comma-separated variant names (default: every ready "
                    + "variant of the model); `precision` is accepted too. At most 16."));
        } else {
            m.put("precision", new StringSchema()._default(properties.defaultPrecision())
                    .description("Variant name, as listed by GET /v1/models"));
        }
        m.put("prompt", new StringSchema()._default("").maxLength(limits.maxPromptChars())
                .description("Text after the image; `Question: ... Answer:` asks a question"));
        m.put("max_new_tokens", integer(1, limits.maxNewTokens(), Math.min(properties.defaultMaxNewTokens(),
                limits.maxNewTokens()), "Most new tokens (EOS included)"));
        m.put("min_new_tokens", integer(0, limits.maxNewTokens(), 0, "EOS is forbidden before this many new tokens"));
        m.put("num_beams", integer(1, limits.maxBeams(), null, "1 = greedy (default: num_captions)"));
        m.put("num_captions", integer(1, limits.maxBeams(), 1, "n-best captions to return (<= num_beams)"));
        m.put("repetition_penalty", new NumberSchema()._default(BigDecimal.ONE).exclusiveMinimumValue(BigDecimal.ZERO)
                .description("HF's repetition penalty; 1 = off"));
        int deadline = (int) Math.min(Integer.MAX_VALUE, properties.batching().deadline().toMillis());
        m.put("deadline_ms", integer(1, deadline, deadline,
                "Answer 503 deadline-exceeded if not done by then; a queued request past it never runs"));
        return m;
    }

    private static Schema<?> integer(int min, int max, Integer def, String description) {
        Schema<Number> s = new IntegerSchema().minimum(BigDecimal.valueOf(min)).maximum(BigDecimal.valueOf(max));
        if (def != null) {
            s._default(def);
        }
        return s.description(description);
    }

    private static RequestBody requestBody(ServeProperties properties, boolean compare) {
        Map<String, Schema> form = new LinkedHashMap<>();
        form.put("image", new BinarySchema().description("The image: JPEG, PNG, GIF, BMP or WebP"));
        Map<String, Schema> json = new LinkedHashMap<>();
        json.put("image", new StringSchema().description("The image as base64 or a data URL "
                + "(data:image/png;base64,...)"));
        for (Map.Entry<String, Schema<?>> p : parameters(properties, compare).entrySet()) {
            form.put(p.getKey(), p.getValue());
            json.put(p.getKey(), p.getValue());
        }
        if (compare) {
            json.put("precisions", new ArraySchema().items(new StringSchema())
                    .description("Variant names, as a list or one comma-separated string"));
        }
        return new RequestBody().required(true).description("""
                The image in one of three forms. Parameters may also be given in the query string (JSON members \
                win over the query; an unknown JSON member is a 400).""")
                .content(new Content()
                        .addMediaType("multipart/form-data", new MediaType().schema(new ObjectSchema()
                                .properties(form).required(List.of("image"))))
                        .addMediaType("image/*", new MediaType().schema(new BinarySchema()))
                        .addMediaType("application/octet-stream", new MediaType().schema(new BinarySchema()))
                        .addMediaType("application/json", new MediaType().schema(new ObjectSchema()
                                .properties(json).required(List.of("image")))));
    }

    private static Schema<?> problemSchema() {
        Map<String, Schema> p = new LinkedHashMap<>();
        p.put("type", new StringSchema().format("uri").example(ProblemType.TOO_MANY_REQUESTS.uri().toString())
                .description("Stable: clients branch on it"));
        p.put("title", new StringSchema());
        p.put("status", new IntegerSchema());
        p.put("detail", new StringSchema().description("One line, safe to show; never internals"));
        p.put("instance", new StringSchema().description("The request path"));
        p.put("request_id", new StringSchema().description("Also in X-Request-Id"));
        p.put("parameter", new StringSchema().description("400: the parameter at fault"));
        p.put("available", new ArraySchema().items(new StringSchema()).description("404: what exists"));
        p.put("state", new StringSchema().description("503: building, loading or failed"));
        p.put("limit_bytes", new IntegerSchema().format("int64").description("413, 414, 431: the limit"));
        p.put("max_parts", new IntegerSchema().description("400: the most multipart parts a request may have"));
        p.put("max_headers", new IntegerSchema().description("431: the most headers a request may have"));
        p.put("retry_after_seconds", new IntegerSchema()
                .description("In compare results and stream error events, where there is no Retry-After header"));
        return new ObjectSchema().description("RFC 9457 problem details").properties(p)
                .required(List.of("type", "title", "status", "detail"));
    }
}
