package dev.blip2serve.serve.caption;

import org.springframework.http.ProblemDetail;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * Where a streamed caption goes ({@code POST /v1/captions:stream}): one {@code start}, a {@code token} per new
 * token (greedy only), then {@code result} or {@code error}, then {@code close}. All calls come from one thread,
 * in order. A method that throws means the client is gone: the request is cancelled and nothing more is sent.
 */
public interface CaptionEvents {

    void start(Start start);

    void token(Token token);

    /** The caption, with the engine's token ids and per-token log-probabilities besides the response. */
    void result(CaptionService.Captioned captioned);

    void error(ProblemDetail problem);

    /** The last call. */
    void close();

    /**
     * The request was admitted.
     *
     * @param streamsTokens true for greedy search; with beams no {@code token} events come, only the result
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Start(String requestId, String model, String precision, CaptionResponse.Image image, boolean streamsTokens) {
    }

    /**
     * One new token of the (best) caption.
     *
     * @param index   0 for the first new token
     * @param tokenId the token's id
     * @param text    what the token adds to the caption; the texts of all token events concatenate to {@code caption}
     *                (empty while a multi-byte character is still incomplete)
     * @param caption the caption so far, decoded as the final one is
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Token(int index, long tokenId, String text, String caption) {
    }
}
