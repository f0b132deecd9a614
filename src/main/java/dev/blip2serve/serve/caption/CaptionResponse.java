package dev.blip2serve.serve.caption;

import java.util.List;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The answer to {@code POST /v1/captions}.
 *
 * @param precision the variant that captioned
 * @param captions  n-best, best first
 * @param image     the decoded image (after EXIF orientation)
 * @param tokens    prompt tokens (BOS included) and new tokens of the best caption (EOS excluded)
 * @param timingsMs where the time went, in milliseconds
 * @param batchSize requests captioned together in the engine call that answered this one (this one included);
 *                  vision, prefill and decode timings are that call's
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CaptionResponse(String requestId, String model, String precision, List<Caption> captions,
                              Image image, Tokens tokens, Timings timingsMs, int batchSize) {

    /** @param logprob sum of the chosen tokens' log-probabilities */
    public record Caption(String text, double logprob) {
    }

    /** @param format container format: jpeg, png, gif, bmp, webp */
    public record Image(int width, int height, String format) {
    }

    public record Tokens(int prompt, int generated) {
    }

    /**
     * @param queue      waiting in the variant's queue for a batch to start
     * @param preprocess decoding, resizing and normalizing the image
     * @param vision     vision encoder + Q-Former + projection
     * @param prefill    the first decoder pass over image queries and prompt
     * @param decode     the remaining decoder steps
     * @param total      all of it, as the service saw it
     */
    public record Timings(double queue, double preprocess, double vision, double prefill, double decode, double total) {

        static Timings ofNanos(long queue, long preprocess, long vision, long prefill, long decode, long total) {
            return new Timings(ms(queue), ms(preprocess), ms(vision), ms(prefill), ms(decode), ms(total));
        }

        private static double ms(long nanos) {
            return Math.round(nanos / 1_000.0) / 1_000.0; // microsecond resolution is plenty
        }
    }
}
