package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.blip2serve.serve.web.ProblemType;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockMultipartFile;

/** {@code POST /v1/captions:compare}: one image, several variants, side by side. */
class CompareApiTest extends FakeServiceTest {

    @Test
    void comparesTheNamedVariantsInTheOrderAsked() throws Exception {
        mvc.perform(multipart("/v1/captions:compare").file(new MockMultipartFile("image", "x.png", "image/png", png))
                        .param("precisions", "fp32, fp16").param("max_new_tokens", "9").header("X-Request-Id", "cmp-1"))
                .andExpect(status().isOk())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_JSON))
                .andExpect(jsonPath("$.request_id").value("cmp-1"))
                .andExpect(jsonPath("$.model").value("shapes-blip2"))
                .andExpect(jsonPath("$.image.width").value(20))
                .andExpect(jsonPath("$.image.format").value("png"))
                .andExpect(jsonPath("$.results.length()").value(2))
                .andExpect(jsonPath("$.results[0].precision").value("fp32"))
                .andExpect(jsonPath("$.results[0].status").value(200))
                .andExpect(jsonPath("$.results[0].captions[0].text").value(FakeCaptionModel.TEXT))
                .andExpect(jsonPath("$.results[0].tokens.generated").value(3))
                .andExpect(jsonPath("$.results[0].timings_ms.vision").value(3.0))
                .andExpect(jsonPath("$.results[0].timings_ms.total").isNumber())
                .andExpect(jsonPath("$.results[0].batch_size").value(1))
                .andExpect(jsonPath("$.results[0].error").doesNotExist())
                .andExpect(jsonPath("$.results[1].precision").value("fp16"))
                .andExpect(jsonPath("$.results[1].status").value(200));
        assertThat(fp32.calls).hasSize(1);
        assertThat(fp16.calls).hasSize(1);
        assertThat(fp16.lastParams.maxNewTokens()).isEqualTo(9);
    }

    @Test
    void aVariantThatCannotAnswerIsReportedWhileTheOthersAnswer() throws Exception {
        mvc.perform(post("/v1/captions:compare").contentType("image/png").content(png)
                        .param("precision", "w4a4,fp32,w8a8"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.results.length()").value(3))
                .andExpect(jsonPath("$.results[0].precision").value("w4a4"))
                .andExpect(jsonPath("$.results[0].status").value(503))
                .andExpect(jsonPath("$.results[0].captions").doesNotExist())
                .andExpect(jsonPath("$.results[0].error.type").value(type(ProblemType.VARIANT_UNAVAILABLE)))
                .andExpect(jsonPath("$.results[0].error.state").value("failed"))
                .andExpect(jsonPath("$.results[0].error.request_id").isNotEmpty())
                .andExpect(jsonPath("$.results[1].status").value(200))
                .andExpect(jsonPath("$.results[1].captions[0].text").value(FakeCaptionModel.TEXT))
                .andExpect(jsonPath("$.results[2].status").value(503))
                .andExpect(jsonPath("$.results[2].error.state").value("loading"))
                .andExpect(jsonPath("$.results[2].error.retry_after_seconds").value(5));
    }

    @Test
    void withoutPrecisionsEveryReadyVariantAnswers() throws Exception {
        String b64 = Base64.getEncoder().encodeToString(png);
        mvc.perform(post("/v1/captions:compare").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"image\":\"data:image/png;base64," + b64 + "\"}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.results.length()").value(2))
                .andExpect(jsonPath("$.results[0].precision").value("fp16"))
                .andExpect(jsonPath("$.results[1].precision").value("fp32"));
    }

    @Test
    void jsonTakesAListOfPrecisions() throws Exception {
        String b64 = Base64.getEncoder().encodeToString(png);
        mvc.perform(post("/v1/captions:compare").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"image\":\"" + b64 + "\",\"precisions\":[\"fp16\",\"fp32\"],\"num_captions\":2}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.results[0].precision").value("fp16"))
                .andExpect(jsonPath("$.results[0].captions.length()").value(2))
                .andExpect(jsonPath("$.results[1].precision").value("fp32"));
        expectProblem(mvc.perform(post("/v1/captions:compare").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"image\":\"" + b64 + "\",\"precisions\":[1,2]}")),
                ProblemType.INVALID_PARAMETER, 400)
                .andExpect(jsonPath("$.parameter").value("precisions"));
    }

    @Test
    void anUnknownPrecisionIs404ForTheWholeRequest() throws Exception {
        expectProblem(mvc.perform(post("/v1/captions:compare").contentType("image/png").content(png)
                        .param("precisions", "fp32,int3")), ProblemType.UNKNOWN_PRECISION, 404)
                .andExpect(jsonPath("$.available[0]").value("fp16"));
        expectProblem(mvc.perform(post("/v1/captions:compare").contentType("image/png").content(png)
                        .param("model", "nope")), ProblemType.UNKNOWN_MODEL, 404);
        assertThat(fp32.calls).isEmpty();
    }

    @Test
    void badInputIsRefusedBeforeAnyVariantRuns() throws Exception {
        expectProblem(mvc.perform(post("/v1/captions:compare").contentType("image/png").content("not a png".getBytes())
                        .param("precisions", "fp32,fp16")), ProblemType.INVALID_IMAGE, 422);
        expectProblem(mvc.perform(post("/v1/captions:compare").contentType("image/png").content(png)
                        .param("precisions", "fp32,fp16").param("num_beams", "99")), ProblemType.INVALID_PARAMETER, 400);
        expectProblem(mvc.perform(post("/v1/captions:compare").contentType(MediaType.TEXT_PLAIN).content("x")),
                ProblemType.UNSUPPORTED_MEDIA_TYPE, 415);
        assertThat(fp32.calls).isEmpty();
        assertThat(fp16.calls).isEmpty();
    }

    @Test
    void theCaptionEndpointPointsToCompareForSeveralPrecisions() throws Exception {
        expectProblem(mvc.perform(post("/v1/captions").contentType("image/png").content(png)
                        .param("precision", "fp32,fp16")), ProblemType.INVALID_PARAMETER, 400)
                .andExpect(jsonPath("$.parameter").value("precision"))
                .andExpect(jsonPath("$.detail").value(containsString("/v1/captions:compare")));
    }
}
