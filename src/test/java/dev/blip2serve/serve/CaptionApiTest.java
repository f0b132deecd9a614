package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.blip2serve.serve.web.ProblemType;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockMultipartFile;

/**
 * The HTTP layer against fake variants (no ONNX Runtime, no repository loading): every input form, parameter
 * validation, and the problem+json shapes of 400/404/413/415/422/500/503 (429 and batching: {@link BatchingApiTest}).
 */
class CaptionApiTest extends FakeServiceTest {

    // ------------------------------------------------------------------ success, every input form

    @Test
    void multipartCaptionHasTheDocumentedShape() throws Exception {
        mvc.perform(multipart("/v1/captions").file(new MockMultipartFile("image", "x.png", "image/png", png))
                        .header("X-Request-Id", "client-42"))
                .andExpect(status().isOk())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_JSON))
                .andExpect(header().string("X-Request-Id", "client-42"))
                .andExpect(jsonPath("$.request_id").value("client-42"))
                .andExpect(jsonPath("$.model").value("shapes-blip2"))
                .andExpect(jsonPath("$.precision").value("fp32"))
                .andExpect(jsonPath("$.captions.length()").value(1))
                .andExpect(jsonPath("$.captions[0].text").value(FakeCaptionModel.TEXT))
                .andExpect(jsonPath("$.captions[0].logprob").value(-1.5))
                .andExpect(jsonPath("$.image.width").value(20))
                .andExpect(jsonPath("$.image.height").value(10))
                .andExpect(jsonPath("$.image.format").value("png"))
                .andExpect(jsonPath("$.tokens.prompt").value(1))
                .andExpect(jsonPath("$.tokens.generated").value(3))
                .andExpect(jsonPath("$.timings_ms.queue").isNumber())
                .andExpect(jsonPath("$.timings_ms.preprocess").isNumber())
                .andExpect(jsonPath("$.timings_ms.vision").value(3.0))
                .andExpect(jsonPath("$.timings_ms.prefill").value(1.0))
                .andExpect(jsonPath("$.timings_ms.decode").value(5.0))
                .andExpect(jsonPath("$.timings_ms.total").isNumber())
                .andExpect(jsonPath("$.batch_size").value(1));
        assertThat(fp32.lastParams.numBeams()).isEqualTo(1);
        assertThat(fp32.lastParams.maxNewTokens()).isEqualTo(20);
        assertThat(fp32.lastPrompt).isEmpty();
    }

    /** A phone's HEIC (libheif) and an AVIF as raw bodies; without libheif they would be 415, see ImageProblemTypeTest. */
    @Test
    void heicAndAvifBodiesAreCaptioned() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.blip2serve.image.LibHeif.system().isPresent()
                || System.getenv("BLIP2_REQUIRE_IMAGE_LIBS") != null, "libheif1 is not installed");
        for (String name : new String[] {"photo.heic", "photo.avif"}) {
            byte[] body = getClass().getResourceAsStream("/images/heif/" + name).readAllBytes();
            String type = name.endsWith(".heic") ? "image/heic" : "image/avif";
            mvc.perform(post("/v1/captions").contentType(type).content(body))
                    .andExpect(status().isOk())
                    .andExpect(jsonPath("$.image.format").value(name.substring(name.indexOf('.') + 1)))
                    .andExpect(jsonPath("$.image.width").value(64))
                    .andExpect(jsonPath("$.image.height").value(48));
        }
    }

    @Test
    void rawBodyTakesEveryParameterFromTheQuery() throws Exception {
        mvc.perform(post("/v1/captions").contentType("image/png").content(png)
                        .param("precision", "fp16").param("prompt", "Question: what shape? Answer:")
                        .param("max_new_tokens", "12").param("min_new_tokens", "2").param("num_beams", "3")
                        .param("num_captions", "2").param("repetition_penalty", "1.3"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.precision").value("fp16"))
                .andExpect(jsonPath("$.captions.length()").value(2))
                .andExpect(jsonPath("$.captions[1].text").value("a red square"))
                .andExpect(jsonPath("$.tokens.prompt").value(5));
        assertThat(fp16.lastPrompt).isEqualTo("Question: what shape? Answer:");
        assertThat(fp16.lastParams.maxNewTokens()).isEqualTo(12);
        assertThat(fp16.lastParams.minNewTokens()).isEqualTo(2);
        assertThat(fp16.lastParams.numBeams()).isEqualTo(3);
        assertThat(fp16.lastParams.numReturn()).isEqualTo(2);
        assertThat(fp16.lastParams.repetitionPenalty()).isEqualTo(1.3);
    }

    @Test
    void multipartTakesParametersAsFormFields() throws Exception {
        mvc.perform(multipart("/v1/captions").file(new MockMultipartFile("image", "x.png", "image/png", png))
                        .param("num_captions", "3"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.captions.length()").value(3));
        // num_beams follows num_captions when not given
        assertThat(fp32.lastParams.numBeams()).isEqualTo(3);
    }

    @Test
    void jsonTakesBase64AndDataUrls() throws Exception {
        String b64 = Base64.getEncoder().encodeToString(png);
        mvc.perform(post("/v1/captions").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"image\":\"" + b64 + "\",\"max_new_tokens\":7,\"prompt\":\"a\"}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.captions[0].text").value(FakeCaptionModel.TEXT));
        assertThat(fp32.lastParams.maxNewTokens()).isEqualTo(7);
        assertThat(fp32.lastPrompt).isEqualTo("a");

        mvc.perform(post("/v1/captions").contentType(MediaType.APPLICATION_JSON).param("precision", "fp16")
                        .content("{\"image\":\"data:image/png;base64," + b64 + "\"}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.precision").value("fp16"))
                .andExpect(jsonPath("$.image.format").value("png"));
    }

    @Test
    void unsafeClientRequestIdIsReplaced() throws Exception {
        mvc.perform(post("/v1/captions").contentType("image/png").content(png).header("X-Request-Id", "a b\"<script>"))
                .andExpect(status().isOk())
                .andExpect(header().string("X-Request-Id", not(containsString(" "))))
                .andExpect(jsonPath("$.request_id").value(not(containsString("script"))));
    }

    // ------------------------------------------------------------------ 404

    @Test
    void unknownPrecisionIs404ListingTheAvailableOnes() throws Exception {
        expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content(png).param("precision", "int3")),
                ProblemType.UNKNOWN_PRECISION, 404)
                .andExpect(jsonPath("$.available").isArray())
                .andExpect(jsonPath("$.available[0]").value("fp16"))
                .andExpect(jsonPath("$.available[1]").value("fp32"))
                .andExpect(jsonPath("$.detail").value(containsString("int3")))
                .andExpect(jsonPath("$.instance").value("/v1/captions"));
    }

    @Test
    void unknownModelIs404() throws Exception {
        expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content(png).param("model", "opt-99b")),
                ProblemType.UNKNOWN_MODEL, 404)
                .andExpect(jsonPath("$.available[0]").value("shapes-blip2"));
    }

    @Test
    void unknownPathIsAProblemToo() throws Exception {
        expectProblem(mvc.perform(get("/v1/nothing-here")), ProblemType.NOT_FOUND, 404);
    }

    @Test
    void wrongMethodIs405() throws Exception {
        expectProblem(mvc.perform(get("/v1/captions")), ProblemType.METHOD_NOT_ALLOWED, 405);
    }

    @Test
    void containerErrorsRenderAsProblemsWithoutInternals() throws Exception {
        expectProblem(mvc.perform(get("/error")
                        .requestAttr(jakarta.servlet.RequestDispatcher.ERROR_STATUS_CODE, 413)
                        .requestAttr(jakarta.servlet.RequestDispatcher.ERROR_REQUEST_URI, "/v1/captions")
                        .requestAttr(jakarta.servlet.RequestDispatcher.ERROR_EXCEPTION, new IllegalStateException("secret"))),
                ProblemType.PAYLOAD_TOO_LARGE, 413)
                .andExpect(jsonPath("$.instance").value("/v1/captions"))
                .andExpect(content().string(not(containsString("secret"))));
        expectProblem(mvc.perform(get("/error")), ProblemType.INTERNAL_ERROR, 500);
    }

    // ------------------------------------------------------------------ 400

    @Test
    void badParametersAre400NamingTheParameter() throws Exception {
        String[][] cases = {
                {"max_new_tokens", "abc"}, {"max_new_tokens", "0"}, {"max_new_tokens", "65"},
                {"min_new_tokens", "-1"}, {"num_beams", "9"}, {"num_captions", "0"},
                {"repetition_penalty", "-1"}, {"repetition_penalty", "NaN"}, {"repetition_penalty", "x"},
                {"prompt", "p".repeat(101)}};
        for (String[] c : cases) {
            expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content(png).param(c[0], c[1])),
                    ProblemType.INVALID_PARAMETER, 400)
                    .andExpect(jsonPath("$.parameter").value(c[0]));
        }
        expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content(png)
                        .param("num_beams", "2").param("num_captions", "3")),
                ProblemType.INVALID_PARAMETER, 400)
                .andExpect(jsonPath("$.parameter").value("num_captions"));
    }

    @Test
    void promptPlusNewTokensMustFitTheModel() throws Exception {
        // 16 queries + 41 prompt tokens + 40 new tokens > 96 positions
        expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content(png)
                        .param("prompt", "w ".repeat(40)).param("max_new_tokens", "40")),
                ProblemType.INVALID_PARAMETER, 400)
                .andExpect(jsonPath("$.parameter").value("max_new_tokens"));
    }

    @Test
    void malformedRequestsAre400() throws Exception {
        expectProblem(mvc.perform(multipart("/v1/captions").file(new MockMultipartFile("photo", "x.png", "image/png", png))),
                ProblemType.INVALID_REQUEST, 400);
        expectProblem(mvc.perform(post("/v1/captions").contentType(MediaType.APPLICATION_JSON).content("{\"image\":")),
                ProblemType.INVALID_REQUEST, 400);
        expectProblem(mvc.perform(post("/v1/captions").contentType(MediaType.APPLICATION_JSON).content("{\"prompt\":\"x\"}")),
                ProblemType.INVALID_PARAMETER, 400)
                .andExpect(jsonPath("$.parameter").value("image"));
        expectProblem(mvc.perform(post("/v1/captions").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"image\":\"AAAA\",\"beams\":3}")),
                ProblemType.INVALID_PARAMETER, 400)
                .andExpect(jsonPath("$.parameter").value("beams"));
    }

    // ------------------------------------------------------------------ 413 / 415 / 422

    @Test
    void bodiesOverTheLimitAre413() throws Exception {
        byte[] big = new byte[5000];
        expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content(big)),
                ProblemType.PAYLOAD_TOO_LARGE, 413)
                .andExpect(jsonPath("$.limit_bytes").value(4096));
        expectProblem(mvc.perform(multipart("/v1/captions").file(new MockMultipartFile("image", "x.png", "image/png", big))),
                ProblemType.PAYLOAD_TOO_LARGE, 413)
                .andExpect(jsonPath("$.limit_bytes").value(4096));
        String b64 = Base64.getEncoder().encodeToString(big);
        expectProblem(mvc.perform(post("/v1/captions").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"image\":\"" + b64 + "\"}")),
                ProblemType.PAYLOAD_TOO_LARGE, 413);
    }

    @Test
    void wrongContentTypesAre415() throws Exception {
        expectProblem(mvc.perform(post("/v1/captions").contentType(MediaType.TEXT_PLAIN).content("hello")),
                ProblemType.UNSUPPORTED_MEDIA_TYPE, 415);
        expectProblem(mvc.perform(post("/v1/captions").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"image\":\"data:text/plain;base64,aGVsbG8=\"}")),
                ProblemType.UNSUPPORTED_MEDIA_TYPE, 415);
    }

    @Test
    void undecodableImagesAre422() throws Exception {
        expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content("not a png".getBytes())),
                ProblemType.INVALID_IMAGE, 422)
                .andExpect(jsonPath("$.detail").value(containsString("unrecognized image format")));
        byte[] truncated = java.util.Arrays.copyOf(png, png.length / 2);
        expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content(truncated)),
                ProblemType.INVALID_IMAGE, 422);
        expectProblem(mvc.perform(post("/v1/captions").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"image\":\"!!!not base64!!!\"}")),
                ProblemType.INVALID_IMAGE, 422);
        expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content(new byte[0])),
                ProblemType.INVALID_IMAGE, 422);
    }

    // ------------------------------------------------------------------ 503 / 500

    @Test
    void loadingAndFailedVariantsAre503() throws Exception {
        expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content(png).param("precision", "w8a8")),
                ProblemType.VARIANT_UNAVAILABLE, 503)
                .andExpect(jsonPath("$.state").value("loading"))
                .andExpect(header().exists("Retry-After"));
        expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content(png).param("precision", "w4a4")),
                ProblemType.VARIANT_UNAVAILABLE, 503)
                .andExpect(jsonPath("$.state").value("failed"))
                .andExpect(jsonPath("$.detail").value(containsString("decoder.onnx: missing")));
    }

    @Test
    void aVariantBuildingInTheBackgroundIs503AndListedWithItsProgress() throws Exception {
        variant("w8a8").building("quantizing (background): calibrate 50%");
        try {
            expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content(png).param("precision", "w8a8")),
                    ProblemType.VARIANT_UNAVAILABLE, 503)
                    .andExpect(jsonPath("$.state").value("building"))
                    .andExpect(jsonPath("$.detail").value("shapes-blip2/w8a8 is being built (quantizing (background): calibrate 50%)"))
                    .andExpect(header().string("Retry-After", "30"));
            mvc.perform(get("/v1/models"))
                    .andExpect(jsonPath("$.variants[?(@.precision == 'w8a8')].state").value("building"))
                    .andExpect(jsonPath("$.variants[?(@.precision == 'w8a8')].detail").value("quantizing (background): calibrate 50%"));
        } finally {
            variant("w8a8").loading("verifying and opening");
        }
    }

    @Test
    void engineFailuresAre500WithoutInternals() throws Exception {
        fp32.failWith = new IllegalStateException("secret /opt/internal/path exploded");
        expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content(png)),
                ProblemType.INTERNAL_ERROR, 500)
                .andExpect(content().string(not(containsString("secret"))));
        fp32.failWith = new dev.blip2serve.runtime.InferenceException("ort said no", null);
        expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content(png)),
                ProblemType.INFERENCE_FAILED, 500)
                .andExpect(content().string(not(containsString("ort said no"))));
    }

    // ------------------------------------------------------------------ models and readiness

    @Test
    void modelsListsEveryVariantWithStateAndManifest() throws Exception {
        mvc.perform(get("/v1/models"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.default_model").value("shapes-blip2"))
                .andExpect(jsonPath("$.default_precision").value("fp32"))
                .andExpect(jsonPath("$.variants[?(@.precision == 'fp32')].state").value("ready"))
                .andExpect(jsonPath("$.variants[?(@.precision == 'fp32')].is_default").value(true))
                .andExpect(jsonPath("$.variants[?(@.precision == 'fp32')].bytes_on_disk").value(3345))
                .andExpect(jsonPath("$.variants[?(@.precision == 'fp32')].method.name").value("convert"))
                .andExpect(jsonPath("$.variants[?(@.precision == 'fp32')].quality.shapes-eval.cider").value(0.9))
                .andExpect(jsonPath("$.variants[?(@.precision == 'fp32')].compute.vision.cpu").value("fp32 MatMul"))
                .andExpect(jsonPath("$.variants[?(@.precision == 'w8a8')].state").value("loading"))
                .andExpect(jsonPath("$.variants[?(@.precision == 'w8a8')].detail").value("verifying and opening"))
                .andExpect(jsonPath("$.variants[?(@.precision == 'w4a4')].state").value("failed"))
                .andExpect(jsonPath("$.variants[?(@.precision == 'w4a4')].reason")
                        .value("files do not match the manifest: decoder.onnx: missing"));
    }

    @Test
    void readinessFollowsTheDefaultVariant() throws Exception {
        mvc.perform(get("/actuator/health/readiness")).andExpect(status().isOk());
        mvc.perform(get("/actuator/health/liveness")).andExpect(status().isOk());
        variant("fp32").loading("warming up");
        mvc.perform(get("/actuator/health/readiness")).andExpect(status().isServiceUnavailable());
        mvc.perform(get("/actuator/health/liveness")).andExpect(status().isOk());
        variant("fp32").failed("broken", null);
        mvc.perform(get("/actuator/health/readiness")).andExpect(status().isServiceUnavailable());
        variant("fp32").ready(fp32);
        mvc.perform(get("/actuator/health/readiness")).andExpect(status().isOk());
    }

    @Test
    void actuatorExposesOnlyHealthInfoAndPrometheus() throws Exception {
        mvc.perform(get("/actuator/info")).andExpect(status().isOk());
        mvc.perform(get("/actuator/prometheus")).andExpect(status().isOk());
        mvc.perform(get("/actuator/env")).andExpect(status().isNotFound());
        mvc.perform(get("/actuator/beans")).andExpect(status().isNotFound());
        mvc.perform(get("/actuator/metrics")).andExpect(status().isNotFound());
    }
}
