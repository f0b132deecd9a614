package dev.blip2serve.serve.caption;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import dev.blip2serve.serve.web.Problems;
import java.util.Map;
import org.springframework.http.ProblemDetail;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The answer to {@code POST /v1/captions:compare}: the same image captioned by several variants, one after the
 * other, each with its own timings.
 *
 * @param results one per variant, in the order asked
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CompareResponse(String requestId, String model, CaptionResponse.Image image, List<Result> results) {

    /**
     * One variant's answer: its captions and timings, or the problem it ran into (the others still answer).
     *
     * @param status 200, or the HTTP status the problem would have on {@code /v1/captions}
     * @param error  the problem (RFC 9457 members plus extensions) when status is not 200
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(String precision, int status, List<CaptionResponse.Caption> captions,
                         CaptionResponse.Tokens tokens, CaptionResponse.Timings timingsMs, Integer batchSize,
                         Map<String, Object> error) {

        static Result of(CaptionResponse r) {
            return new Result(r.precision(), 200, r.captions(), r.tokens(), r.timingsMs(), r.batchSize(), null);
        }

        static Result failed(String precision, ProblemDetail problem) {
            return new Result(precision, problem.getStatus(), null, null, null, null, Problems.asMap(problem));
        }
    }
}
