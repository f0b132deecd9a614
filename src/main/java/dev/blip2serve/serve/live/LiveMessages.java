package dev.blip2serve.serve.live;

import java.util.Map;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** The JSON text messages a live session sends; each has a {@code type}. */
final class LiveMessages {

    private LiveMessages() {
    }

    /** Sent once the session is open: what it captions with. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Ready(String type, String sessionId, String model, String precision, String prompt, double sceneThreshold,
                 long maxFrameBytes) {
        Ready(String sessionId, String model, String precision, String prompt, double sceneThreshold, long maxFrameBytes) {
            this("ready", sessionId, model, precision, prompt, sceneThreshold, maxFrameBytes);
        }
    }

    /**
     * What became of the session's frames so far. {@code received} = dropped + skipped + captioned + invalid +
     * failed + the frames not handled yet (at most two: one waiting, one being handled).
     */
    record Frames(long received, long dropped, long skipped, long captioned, long invalid, long failed) {
    }

    /**
     * Where a caption's time went, in milliseconds: {@code glassToCaption} from the frame's receipt to this message;
     * the stages as {@code POST /v1/captions} reports them ({@code preprocess} includes decoding the frame,
     * {@code caption} is their total).
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Timings(double glassToCaption, double queue, double preprocess, double vision, double prefill, double decode,
                   double caption) {
    }

    /** A new caption: the frame it is of, how much that frame's scene differed from the last captioned one. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Caption(String type, String caption, long frame, double sceneDifference, Timings timingsMs, Frames frames,
                   int batchSize) {
        Caption(String caption, long frame, double sceneDifference, Timings timingsMs, Frames frames, int batchSize) {
            this("caption", caption, frame, sceneDifference, timingsMs, frames, batchSize);
        }
    }

    /** The answer to {@code {"type":"status"}}: the counts once every frame received before it was handled. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Status(String type, Frames frames, String caption) {
        Status(Frames frames, String caption) {
            this("status", frames, caption);
        }
    }

    /** A frame (or a text message, {@code frame} null) the session could not use; the session goes on. */
    record Error(String type, Long frame, Map<String, Object> error) {
        Error(Long frame, Map<String, Object> error) {
            this("error", frame, error);
        }
    }
}
