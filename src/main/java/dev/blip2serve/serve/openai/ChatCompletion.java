package dev.blip2serve.serve.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * OpenAI's {@code chat.completion} object and its parts, also the pieces of a {@code chat.completion.chunk}.
 *
 * @param id      {@code chatcmpl-} and the request id
 * @param created seconds since the epoch
 * @param model   the variant that answered, {@code <model>:<precision>}
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record ChatCompletion(String id, String object, long created, String model, List<Choice> choices, Usage usage) {

    /** @param finishReason {@code stop} (EOS or a stop string) or {@code length} (max tokens reached) */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Choice(int index, Message message, Logprobs logprobs, String finishReason) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Message(String role, String content, String refusal) {
    }

    /** {@code logprobs.content}: one entry per new token. */
    record Logprobs(List<TokenLogprob> content) {
    }

    /**
     * @param token       the token's text (what it adds to the text)
     * @param bytes       its UTF-8 bytes
     * @param topLogprobs the most likely tokens at its step
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record TokenLogprob(String token, double logprob, List<Integer> bytes, List<TopLogprob> topLogprobs) {
    }

    record TopLogprob(String token, double logprob, List<Integer> bytes) {
    }

    /** @param promptTokens the image query positions plus the text prompt's tokens (BOS included) */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Usage(int promptTokens, int completionTokens, int totalTokens) {
    }

    /** @param delta {@code role} in the first chunk of a choice, then {@code content}; empty in the last */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ChunkChoice(int index, Delta delta, Logprobs logprobs, String finishReason) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Delta(String role, String content) {
    }
}
