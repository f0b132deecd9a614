package dev.blip2serve.serve.slice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.caption.CaptionController;
import dev.blip2serve.serve.caption.CaptionOptions;
import dev.blip2serve.serve.caption.CaptionResponse;
import dev.blip2serve.serve.caption.CaptionService;
import dev.blip2serve.serve.web.ApiException;
import dev.blip2serve.serve.web.ProblemType;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mockito.ArgumentCaptor;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockMultipartFile;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/**
 * {@link CaptionController} alone: the MVC slice (controller, {@code ApiExceptionHandler}, {@code RequestIdFilter},
 * Jackson) with {@link CaptionService} mocked, so no model, registry or batcher is involved. The slice does not run
 * {@code @ConfigurationPropertiesScan}'s beans, so {@link ServeProperties} is enabled here and bound from
 * {@code application.properties} like in the application.
 */
@WebMvcTest(controllers = CaptionController.class)
@EnableConfigurationProperties(ServeProperties.class)
class CaptionControllerSliceTest {

    private static final byte[] IMAGE = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};

    @Autowired
    MockMvc mvc;

    @Autowired
    ServeProperties properties;

    @MockitoBean
    CaptionService service;

    private static MockMultipartFile image() {
        return new MockMultipartFile("image", "x.png", MediaType.IMAGE_PNG_VALUE, IMAGE);
    }

    private static CaptionResponse response(String requestId, String precision) {
        return new CaptionResponse(requestId, "shapes-blip2", precision,
                List.of(new CaptionResponse.Caption("a red circle", -1.5), new CaptionResponse.Caption("a red disc", -2.25)),
                new CaptionResponse.Image(20, 10, "png"), new CaptionResponse.Tokens(1, 3),
                new CaptionResponse.Timings(0.5, 1.0, 3.0, 1.0, 5.0, 10.5), 1);
    }

    @Test
    void multipartCaptionAnswersTheServiceResultAsJson() throws Exception {
        when(service.caption(any(), any(), anyString()))
                .thenAnswer(inv -> response(inv.getArgument(2), inv.<CaptionOptions>getArgument(1).precision()));

        mvc.perform(multipart("/v1/captions").file(image())
                        .param("precision", "fp16").param("num_beams", "3").param("num_captions", "2")
                        .param("max_new_tokens", "12").param("prompt", "Question: what shape? Answer:")
                        .header("X-Request-Id", "slice-1"))
                .andExpect(status().isOk())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_JSON))
                .andExpect(header().string("X-Request-Id", "slice-1"))
                .andExpect(jsonPath("$.request_id").value("slice-1"))
                .andExpect(jsonPath("$.model").value("shapes-blip2"))
                .andExpect(jsonPath("$.precision").value("fp16"))
                .andExpect(jsonPath("$.captions.length()").value(2))
                .andExpect(jsonPath("$.captions[0].text").value("a red circle"))
                .andExpect(jsonPath("$.captions[0].logprob").value(-1.5))
                .andExpect(jsonPath("$.captions[1].text").value("a red disc"))
                .andExpect(jsonPath("$.image.format").value("png"))
                .andExpect(jsonPath("$.tokens.generated").value(3))
                .andExpect(jsonPath("$.timings_ms.queue").value(0.5))
                .andExpect(jsonPath("$.timings_ms.vision").value(3.0))
                .andExpect(jsonPath("$.timings_ms.decode").value(5.0))
                .andExpect(jsonPath("$.timings_ms.total").value(10.5))
                .andExpect(jsonPath("$.batch_size").value(1));

        // The controller hands the part's bytes and the parsed form fields to the service.
        ArgumentCaptor<byte[]> bytes = ArgumentCaptor.forClass(byte[].class);
        ArgumentCaptor<CaptionOptions> options = ArgumentCaptor.forClass(CaptionOptions.class);
        verify(service).caption(bytes.capture(), options.capture(), argThat("slice-1"::equals));
        assertThat(bytes.getValue()).isEqualTo(IMAGE);
        CaptionOptions o = options.getValue();
        assertThat(o.model()).isEqualTo("shapes-blip2");
        assertThat(o.precision()).isEqualTo("fp16");
        assertThat(o.numBeams()).isEqualTo(3);
        assertThat(o.numCaptions()).isEqualTo(2);
        assertThat(o.maxNewTokens()).isEqualTo(12);
        assertThat(o.prompt()).isEqualTo("Question: what shape? Answer:");
    }

    @Test
    void defaultsComeFromTheBoundProperties() throws Exception {
        when(service.caption(any(), any(), anyString())).thenAnswer(inv -> response(inv.getArgument(2), "fp32"));

        mvc.perform(multipart("/v1/captions").file(image()))
                .andExpect(status().isOk())
                .andExpect(header().exists("X-Request-Id"))
                .andExpect(jsonPath("$.request_id").isString());

        ArgumentCaptor<CaptionOptions> options = ArgumentCaptor.forClass(CaptionOptions.class);
        verify(service).caption(any(), options.capture(), anyString());
        assertThat(options.getValue()).isEqualTo(new CaptionOptions("shapes-blip2", "fp32", "", 20, 0, 1, 1, 1.0, 30_000));
    }

    @Test
    void unknownPrecisionIsA404ProblemListingTheAvailableOnes() throws Exception {
        // What CaptionService answers for a variant the registry does not have.
        List<String> available = List.of("fp16", "fp32", "w8a8");
        when(service.caption(any(), argThat(o -> o != null && o.precision().equals("int3")), anyString()))
                .thenThrow(new ApiException(ProblemType.UNKNOWN_PRECISION, "no precision 'int3' for model "
                        + "'shapes-blip2'; available: " + String.join(", ", available)).with("available", available));

        mvc.perform(multipart("/v1/captions").file(image()).param("precision", "int3")
                        .header("X-Request-Id", "slice-404"))
                .andExpect(status().isNotFound())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(header().string("X-Request-Id", "slice-404"))
                .andExpect(jsonPath("$.type").value(ProblemType.UNKNOWN_PRECISION.uri().toString()))
                .andExpect(jsonPath("$.title").value("Unknown precision"))
                .andExpect(jsonPath("$.status").value(404))
                .andExpect(jsonPath("$.detail").value(containsString("int3")))
                .andExpect(jsonPath("$.available.length()").value(3))
                .andExpect(jsonPath("$.available[0]").value("fp16"))
                .andExpect(jsonPath("$.available[1]").value("fp32"))
                .andExpect(jsonPath("$.available[2]").value("w8a8"))
                .andExpect(jsonPath("$.request_id").value("slice-404"))
                .andExpect(jsonPath("$.instance").value("/v1/captions"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
            "num_beams, 0",
            "num_beams, 9",
            "max_new_tokens, -1",
            "max_new_tokens, 65",
            "min_new_tokens, -1",
            "num_captions, 0",
            "deadline_ms, 0",
            "repetition_penalty, 0",
            "num_beams, many"})
    void badParameterIsA400ProblemNamingIt(String name, String value) throws Exception {
        mvc.perform(multipart("/v1/captions").file(image()).param(name, value))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.type").value(ProblemType.INVALID_PARAMETER.uri().toString()))
                .andExpect(jsonPath("$.title").value("Invalid parameter"))
                .andExpect(jsonPath("$.status").value(400))
                .andExpect(jsonPath("$.parameter").value(name))
                .andExpect(jsonPath("$.detail").value(containsString(name)))
                .andExpect(jsonPath("$.request_id").isString());
        verifyNoInteractions(service);
    }

    @Test
    void outOfRangeIntegerCarriesItsBounds() throws Exception {
        mvc.perform(multipart("/v1/captions").file(image()).param("num_beams", "0"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.parameter").value("num_beams"))
                .andExpect(jsonPath("$.minimum").value(1))
                .andExpect(jsonPath("$.maximum").value(8));
        mvc.perform(post("/v1/captions").contentType(MediaType.IMAGE_PNG).content(IMAGE).param("max_new_tokens", "-1"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.parameter").value("max_new_tokens"))
                .andExpect(jsonPath("$.minimum").value(1))
                .andExpect(jsonPath("$.maximum").value(64));
        verifyNoInteractions(service);
    }

    @Test
    void multipartWithoutImagePartIsA400() throws Exception {
        mvc.perform(multipart("/v1/captions").file(new MockMultipartFile("picture", "x.png", "image/png", IMAGE)))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.type").value(ProblemType.INVALID_REQUEST.uri().toString()))
                .andExpect(jsonPath("$.detail").value(containsString("'image'")));
        verifyNoInteractions(service);
    }

    @Test
    void wrongContentTypeIsA415Problem() throws Exception {
        mvc.perform(post("/v1/captions").contentType(MediaType.TEXT_PLAIN).content("a picture of a cat")
                        .header("X-Request-Id", "slice-415"))
                .andExpect(status().isUnsupportedMediaType())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(header().string("X-Request-Id", "slice-415"))
                .andExpect(jsonPath("$.type").value(ProblemType.UNSUPPORTED_MEDIA_TYPE.uri().toString()))
                .andExpect(jsonPath("$.title").value("Unsupported media type"))
                .andExpect(jsonPath("$.status").value(415))
                .andExpect(jsonPath("$.request_id").value("slice-415"));
        verifyNoInteractions(service);
    }

    @Test
    void missingContentTypeIsA415Problem() throws Exception {
        mvc.perform(post("/v1/captions").content(IMAGE))
                .andExpect(status().isUnsupportedMediaType())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.type").value(ProblemType.UNSUPPORTED_MEDIA_TYPE.uri().toString()))
                .andExpect(jsonPath("$.detail").value(containsString("no Content-Type")));
        verifyNoInteractions(service);
    }

    @Test
    void rawImageBodyReachesTheServiceWithQueryParameters() throws Exception {
        when(service.caption(any(), any(), anyString())).thenAnswer(inv -> response(inv.getArgument(2), "fp32"));

        mvc.perform(post("/v1/captions").contentType(MediaType.IMAGE_PNG).content(IMAGE).param("num_beams", "4"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.captions[0].text").value("a red circle"));

        ArgumentCaptor<byte[]> bytes = ArgumentCaptor.forClass(byte[].class);
        ArgumentCaptor<CaptionOptions> options = ArgumentCaptor.forClass(CaptionOptions.class);
        verify(service).caption(bytes.capture(), options.capture(), anyString());
        assertThat(bytes.getValue()).isEqualTo(IMAGE);
        assertThat(options.getValue().numBeams()).isEqualTo(4);
    }

    @Test
    void jsonBodiesThatAreNoJsonObjectAreA400Problem() throws Exception {
        for (NoJsonObjectBodies.Case c : NoJsonObjectBodies.ALL) {
            mvc.perform(post("/v1/captions").contentType(MediaType.APPLICATION_JSON).content(c.body()))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                    .andExpect(jsonPath("$.type").value(ProblemType.INVALID_REQUEST.uri().toString()))
                    .andExpect(jsonPath("$.status").value(400))
                    .andExpect(jsonPath("$.detail").value(startsWith(c.detailPrefix())));
        }
        byte[] huge = new byte[(int) properties.limits().maxJsonBytes() + 1];
        mvc.perform(post("/v1/captions").contentType(MediaType.APPLICATION_JSON).content(huge))
                .andExpect(status().isPayloadTooLarge())
                .andExpect(jsonPath("$.type").value(ProblemType.PAYLOAD_TOO_LARGE.uri().toString()))
                .andExpect(jsonPath("$.detail").value(startsWith(NoJsonObjectBodies.TOO_LARGE_PREFIX)));
        verifyNoInteractions(service);
    }
}
