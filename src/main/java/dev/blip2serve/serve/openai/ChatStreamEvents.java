package dev.blip2serve.serve.openai;

import dev.blip2serve.engine.CaptionText;
import dev.blip2serve.serve.caption.CaptionEvents;
import dev.blip2serve.serve.caption.CaptionService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;
import tools.jackson.databind.json.JsonMapper;

/**
 * A streamed chat completion as OpenAI frames it: {@code data: <chat.completion.chunk>} lines, each followed by an
 * empty line. Per choice: a first chunk with {@code delta.role}, chunks with {@code delta.content} as tokens arrive
 * (greedy search; with beams the whole text comes in one chunk at the end), a last chunk with an empty delta and
 * {@code finish_reason}; then, when {@code stream_options.include_usage}, a chunk with no choices and the usage
 * (every earlier chunk has {@code "usage": null}); then {@code data: [DONE]}. A failure after the stream started is
 * one {@code data: {"error": {...}}} frame, and the stream ends.
 */
final class ChatStreamEvents implements CaptionEvents {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final MediaType UTF8_TEXT = new MediaType("text", "plain", StandardCharsets.UTF_8);

    private final ResponseBodyEmitter emitter;
    private final ChatCompletionsController.Completion completion;
    private final boolean includeUsage;
    /** Characters of the best caption already sent (greedy streaming). */
    private String sent = "";
    private boolean stopped;

    ChatStreamEvents(ResponseBodyEmitter emitter, ChatCompletionsController.Completion completion, boolean includeUsage) {
        this.emitter = emitter;
        this.completion = completion;
        this.includeUsage = includeUsage;
    }

    @Override
    public void start(Start start) {
        for (int i = 0; i < completion.n(); i++) {
            frame(chunk(List.of(choice(i, new ChatCompletion.Delta("assistant", ""), null)), null));
        }
    }

    @Override
    public void token(Token token) {
        if (stopped) {
            return;
        }
        String text = token.caption();
        StopStrings stops = completion.stops();
        if (stops.cut(text) >= 0) {
            stopped = true;
        }
        int show = stops.safeLength(text);
        if (show > sent.length() && text.startsWith(sent)) {
            String delta = text.substring(sent.length(), show);
            sent = text.substring(0, show);
            frame(chunk(List.of(choice(0, new ChatCompletion.Delta(null, delta), null)), null));
        }
    }

    @Override
    public void result(CaptionService.Captioned captioned) {
        List<CaptionText> captions = captioned.captions().captions();
        for (int i = 0; i < captions.size(); i++) {
            CaptionText c = captions.get(i);
            String text = completion.stops().truncate(c.text());
            String rest = i == 0 && text.startsWith(sent) ? text.substring(sent.length()) : i == 0 ? "" : text;
            if (!rest.isEmpty()) {
                frame(chunk(List.of(choice(i, new ChatCompletion.Delta(null, rest), null)), null));
            }
            frame(chunk(List.of(choice(i, new ChatCompletion.Delta(null, null), completion.finishReason(c, c.text()))),
                    null));
        }
        if (includeUsage) {
            frame(chunk(List.of(), completion.usage(captioned)));
        }
        send("data: [DONE]\n\n");
    }

    @Override
    public void error(ProblemDetail problem) {
        frame(Map.of("error", OpenAiErrors.body(problem)));
    }

    @Override
    public void close() {
        emitter.complete();
    }

    private Map<String, Object> chunk(List<ChatCompletion.ChunkChoice> choices, ChatCompletion.Usage usage) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", completion.id());
        m.put("object", "chat.completion.chunk");
        m.put("created", completion.created());
        m.put("model", completion.model());
        m.put("choices", choices);
        if (includeUsage) {
            m.put("usage", usage);
        }
        return m;
    }

    private static ChatCompletion.ChunkChoice choice(int index, ChatCompletion.Delta delta, String finishReason) {
        return new ChatCompletion.ChunkChoice(index, delta, null, finishReason);
    }

    private void frame(Object data) {
        // Compact JSON has no line breaks: one data line per frame.
        send("data: " + JSON.writeValueAsString(data) + "\n\n");
    }

    private void send(String text) {
        try {
            emitter.send(text, UTF8_TEXT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
