package dev.blip2serve.serve.caption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.TestProperties;
import dev.blip2serve.serve.web.ApiException;
import dev.blip2serve.serve.web.ProblemType;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parameter defaults, limits and the JSON image forms, without Spring. */
class CaptionOptionsTest {

    private final ServeProperties properties = TestProperties.defaults(Path.of("repo"), "shapes-blip2", "fp32", List.of());

    private CaptionOptions parse(Map<String, String> params) {
        return CaptionOptions.parse(params::get, properties);
    }

    @Test
    void defaultsComeFromConfiguration() {
        CaptionOptions o = parse(Map.of());
        assertThat(o).isEqualTo(new CaptionOptions("shapes-blip2", "fp32", "", 20, 0, 1, 1, 1.0, 30_000));
    }

    @Test
    void limitsAreInclusive() {
        CaptionOptions o = parse(Map.of("max_new_tokens", "64", "min_new_tokens", "64", "num_beams", "8",
                "num_captions", "8", "prompt", "x".repeat(2000), "precision", " fp16 "));
        assertThat(o.maxNewTokens()).isEqualTo(64);
        assertThat(o.numBeams()).isEqualTo(8);
        assertThat(o.precision()).isEqualTo("fp16");
    }

    @Test
    void violationsNameTheParameter() {
        assertInvalid(Map.of("max_new_tokens", "65"), "max_new_tokens");
        assertInvalid(Map.of("min_new_tokens", "21"), "min_new_tokens");
        assertInvalid(Map.of("num_beams", "1.5"), "num_beams");
        assertInvalid(Map.of("num_beams", "2", "num_captions", "3"), "num_captions");
        assertInvalid(Map.of("repetition_penalty", "0"), "repetition_penalty");
        assertInvalid(Map.of("repetition_penalty", "Infinity"), "repetition_penalty");
        assertInvalid(Map.of("prompt", "x".repeat(2001)), "prompt");
        assertInvalid(Map.of("precision", "p".repeat(200)), "precision");
    }

    @Test
    void imagePayloadsDecodeOrExplainWhyNot() {
        byte[] data = {(byte) 0x89, 'P', 'N', 'G', (byte) 0xfb, (byte) 0xff};
        String b64 = Base64.getEncoder().encodeToString(data);
        assertThat(ImagePayload.decode(b64, 100)).isEqualTo(data);
        assertThat(ImagePayload.decode(Base64.getUrlEncoder().encodeToString(data), 100)).isEqualTo(data);
        assertThat(ImagePayload.decode("data:image/png;base64," + b64, 100)).isEqualTo(data);
        assertThat(ImagePayload.decode("DATA:;base64," + b64.substring(0, 4) + "\n" + b64.substring(4), 100)).isEqualTo(data);
        assertProblem(() -> ImagePayload.decode("data:image/png," + b64, 100), ProblemType.INVALID_IMAGE);
        assertProblem(() -> ImagePayload.decode("data:text/html;base64," + b64, 100), ProblemType.UNSUPPORTED_MEDIA_TYPE);
        assertProblem(() -> ImagePayload.decode("***", 100), ProblemType.INVALID_IMAGE);
        assertProblem(() -> ImagePayload.decode(b64, 5), ProblemType.PAYLOAD_TOO_LARGE);
        assertProblem(() -> ImagePayload.decode(" ", 5), ProblemType.INVALID_PARAMETER);
    }

    private void assertInvalid(Map<String, String> params, String parameter) {
        assertThatThrownBy(() -> parse(params)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.type()).isEqualTo(ProblemType.INVALID_PARAMETER);
            assertThat(e.properties()).containsEntry("parameter", parameter);
        });
    }

    private static void assertProblem(Runnable r, ProblemType type) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.type()).isEqualTo(type));
    }
}
