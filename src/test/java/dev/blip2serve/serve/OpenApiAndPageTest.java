package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.blip2serve.serve.caption.CaptionOptions;
import dev.blip2serve.serve.web.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The OpenAPI document, Swagger UI and the static page are served; actuator stays at health, info, prometheus. */
class OpenApiAndPageTest extends FakeServiceTest {

    private final JsonMapper json = JsonMapper.builder().build();

    @Autowired
    ServeProperties properties;

    @Test
    void theDocumentedDefaultsAndBoundsAreWhatTheParserApplies() throws Exception {
        JsonNode doc = json.readTree(mvc.perform(get("/v3/api-docs")).andReturn().getResponse().getContentAsString());
        CaptionOptions defaults = CaptionOptions.parse(name -> null, properties);
        for (JsonNode p : doc.path("paths").path("/v1/captions").path("post").path("parameters")) {
            String name = p.path("name").asString();
            JsonNode schema = p.path("schema");
            if (schema.has("maximum")) {
                String max = schema.path("maximum").asString();
                String min = schema.path("minimum").asString();
                assertThat(parses(name, max)).as(name + " = maximum " + max).isTrue();
                assertThat(parses(name, String.valueOf(Long.parseLong(max) + 1))).as(name + " above maximum").isFalse();
                assertThat(parses(name, min)).as(name + " = minimum " + min).isTrue();
                assertThat(parses(name, String.valueOf(Long.parseLong(min) - 1))).as(name + " below minimum").isFalse();
            }
            if (schema.has("maxLength")) {
                int max = schema.path("maxLength").asInt();
                assertThat(parses(name, "a".repeat(max))).as(name + " at maxLength").isTrue();
                assertThat(parses(name, "a".repeat(max + 1))).as(name + " over maxLength").isFalse();
            }
        }
        Map<String, Object> applied = Map.of("model", defaults.model(), "precision", defaults.precision(),
                "prompt", defaults.prompt(), "max_new_tokens", defaults.maxNewTokens(),
                "min_new_tokens", defaults.minNewTokens(), "num_captions", defaults.numCaptions(),
                "repetition_penalty", defaults.repetitionPenalty(), "deadline_ms", defaults.deadlineMs());
        int checked = 0;
        for (JsonNode p : doc.path("paths").path("/v1/captions").path("post").path("parameters")) {
            JsonNode d = p.path("schema").path("default");
            if (d.isMissingNode()) {
                continue;
            }
            Object value = applied.get(p.path("name").asString());
            if (d.isNumber()) {
                assertThat(((Number) value).doubleValue()).as(p.path("name").asString()).isEqualTo(d.asDouble());
            } else {
                assertThat(value).as(p.path("name").asString()).isEqualTo(d.asString());
            }
            checked++;
        }
        assertThat(checked).as("documented defaults").isEqualTo(applied.size());
    }

    private boolean parses(String name, String value) {
        try {
            // min_new_tokens is bounded by max_new_tokens too: give it room
            CaptionOptions.parse(n -> n.equals(name) ? value : n.equals("max_new_tokens") && !name.equals(n)
                    ? String.valueOf(properties.limits().maxNewTokens()) : null, properties);
            return true;
        } catch (ApiException e) {
            return false;
        }
    }

    @Test
    void openApiDescribesEveryEndpointWithItsParametersAndProblems() throws Exception {
        String body = mvc.perform(get("/v3/api-docs")).andExpect(status().isOk()).andReturn().getResponse()
                .getContentAsString();
        JsonNode doc = json.readTree(body);
        assertThat(doc.path("openapi").asString()).startsWith("3.");
        List<String> paths = new ArrayList<>();
        doc.path("paths").propertyNames().forEach(paths::add);
        assertThat(paths).contains("/v1/captions", "/v1/captions:compare", "/v1/captions:stream", "/v1/models");
        assertThat(paths).noneMatch(p -> p.startsWith("/actuator") || p.startsWith("/error"));

        JsonNode caption = doc.path("paths").path("/v1/captions").path("post");
        List<String> params = new ArrayList<>();
        caption.path("parameters").forEach(p -> params.add(p.path("name").asString()));
        assertThat(params).containsExactly("model", "precision", "prompt", "max_new_tokens", "min_new_tokens",
                "num_beams", "num_captions", "repetition_penalty", "deadline_ms");
        List<String> bodies = new ArrayList<>();
        caption.path("requestBody").path("content").propertyNames().forEach(bodies::add);
        assertThat(bodies).containsExactly("multipart/form-data", "image/*", "application/octet-stream", "application/json");
        assertThat(caption.path("responses").path("200").path("content").path("application/json").path("schema")
                .path("$ref").asString()).endsWith("/CaptionResponse");
        for (String status : List.of("400", "404", "413", "415", "422", "429", "503", "500")) {
            assertThat(caption.path("responses").path(status).path("content").has("application/problem+json"))
                    .as(status).isTrue();
        }
        assertThat(caption.path("responses").path("429").path("headers").has("Retry-After")).isTrue();

        JsonNode compare = doc.path("paths").path("/v1/captions:compare").path("post");
        assertThat(compare.path("parameters").toString()).contains("\"precisions\"");
        assertThat(doc.path("paths").path("/v1/captions:stream").path("post").path("responses").path("200")
                .path("content").has("text/event-stream")).isTrue();

        // The schemas use the names on the wire (snake_case).
        JsonNode schemas = doc.path("components").path("schemas");
        assertThat(schemas.path("CaptionResponse").path("properties").has("timings_ms")).isTrue();
        assertThat(schemas.path("CaptionResponse").path("properties").has("batch_size")).isTrue();
        assertThat(schemas.path("CompareResponse").path("properties").has("results")).isTrue();
        assertThat(schemas.path("VariantView").path("properties").has("bytes_on_disk")).isTrue();
        assertThat(schemas.path("Problem").path("properties").has("request_id")).isTrue();
    }

    @Test
    void swaggerUiIsServedFromTheJar() throws Exception {
        mvc.perform(get("/swagger-ui/index.html")).andExpect(status().isOk())
                .andExpect(content().string(containsString("swagger")));
    }

    @Test
    void thePageIsServedAtTheRoot() throws Exception {
        mvc.perform(get("/index.html")).andExpect(status().isOk())
                .andExpect(content().string(containsString("aria-live")))
                .andExpect(content().string(containsString("capture=\"environment\"")));
        mvc.perform(get("/app.js")).andExpect(status().isOk());
        mvc.perform(get("/app.css")).andExpect(status().isOk());
    }

    @Test
    void actuatorStillExposesOnlyHealthInfoAndPrometheus() throws Exception {
        mvc.perform(get("/actuator")).andExpect(status().isOk())
                .andExpect(content().string(containsString("health")));
        String links = mvc.perform(get("/actuator")).andReturn().getResponse().getContentAsString();
        JsonNode names = json.readTree(links).path("_links");
        List<String> exposed = new ArrayList<>();
        names.propertyNames().forEach(exposed::add);
        assertThat(exposed).allMatch(n -> n.equals("self") || n.startsWith("health") || n.equals("info")
                || n.equals("prometheus"));
        mvc.perform(get("/actuator/env")).andExpect(status().isNotFound());
        mvc.perform(get("/actuator/openapi")).andExpect(status().isNotFound());
    }
}
