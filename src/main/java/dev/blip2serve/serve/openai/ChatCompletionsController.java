package dev.blip2serve.serve.openai;

import dev.blip2serve.engine.CaptionText;
import dev.blip2serve.generation.Sampling;
import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.caption.CaptionMetrics;
import dev.blip2serve.serve.caption.CaptionOptions;
import dev.blip2serve.serve.caption.CaptionService;
import dev.blip2serve.serve.caption.ImagePayload;
import dev.blip2serve.serve.model.CaptionModel;
import dev.blip2serve.serve.model.ModelRegistry;
import dev.blip2serve.serve.model.Variant;
import dev.blip2serve.serve.model.VariantState;
import dev.blip2serve.serve.web.ApiException;
import dev.blip2serve.serve.web.BoundedBody;
import dev.blip2serve.serve.web.JsonBody;
import dev.blip2serve.serve.web.ProblemType;
import dev.blip2serve.serve.web.RequestIds;
import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;

/**
 * {@code POST /v1/chat/completions}: OpenAI's chat completions for one image. The request becomes
 * {@link CaptionOptions} (prompt from {@link Blip2ChatTemplate}, {@code max_tokens} → {@code max_new_tokens},
 * {@code n} → beams and n-best) and goes through {@link CaptionService} like {@code /v1/captions}; the answer is a
 * {@code chat.completion}, or {@code chat.completion.chunk} frames with {@code stream}. Every error on this path
 * is OpenAI's {@code {"error": {...}}} ({@link OpenAiErrors}), a wrong method's too. {@link ChatOpenApi} describes
 * the operation.
 */
@RestController
@RequestMapping("/v1")
public class ChatCompletionsController {

    private static final String PATH = "/v1/chat/completions";
    /** How long a stream stays open past the request's deadline (the last frame is sent by then). */
    private static final long STREAM_GRACE_MS = 10_000;

    private final ServeProperties properties;
    private final ModelRegistry registry;
    private final CaptionService service;
    private final RemoteImageFetcher remote;

    public ChatCompletionsController(ServeProperties properties, ModelRegistry registry, CaptionService service,
                                     RemoteImageFetcher remote) {
        this.properties = properties;
        this.registry = registry;
        this.service = service;
        this.remote = remote;
    }

    /** The other methods get OpenAI's error shape too (Spring's own 405 would be problem+json). */
    @Hidden
    @RequestMapping(path = "/chat/completions", method = {RequestMethod.GET, RequestMethod.PUT, RequestMethod.PATCH,
            RequestMethod.DELETE})
    public void wrongMethod(HttpServletRequest request) {
        throw new ApiException(ProblemType.METHOD_NOT_ALLOWED, request.getMethod() + " is not allowed on " + PATH
                + "; POST a JSON body");
    }

    @PostMapping(path = "/chat/completions")
    public Object chat(HttpServletRequest request) {
        String contentType = request.getContentType();
        if (contentType == null || !MediaType.APPLICATION_JSON.isCompatibleWith(MediaType.parseMediaType(contentType))) {
            throw new ApiException(ProblemType.UNSUPPORTED_MEDIA_TYPE, "send the request as application/json");
        }
        ChatRequest chat = ChatRequest.parse(BoundedBody.read(request, properties.limits().maxJsonBytes(),
                JsonBody.WHAT));
        String[] variant = variantOf(chat.model());
        CaptionOptions options = options(chat, variant);
        CaptionService.Decoding decoding = decoding(chat);
        byte[] image = image(chat);
        String requestId = RequestIds.of(request);
        Completion completion = new Completion("chatcmpl-" + requestId, System.currentTimeMillis() / 1000,
                variant[0] + ":" + variant[1], options.maxNewTokens(), new StopStrings(chat.stop()), chat.n());
        if (chat.stream()) {
            ResponseBodyEmitter emitter = new ResponseBodyEmitter(options.deadlineMs() + STREAM_GRACE_MS);
            service.stream(image, options, decoding, CaptionMetrics.Api.CHAT_COMPLETIONS, requestId, PATH,
                    new ChatStreamEvents(emitter, completion, chat.includeUsage()));
            return ResponseEntity.ok().contentType(MediaType.TEXT_EVENT_STREAM).header("Cache-Control", "no-cache")
                    .body(emitter);
        }
        CaptionService.Captioned c = service.caption(image, options, decoding, CaptionMetrics.Api.CHAT_COMPLETIONS,
                requestId);
        CaptionModel model = chat.logprobs() ? readyModel(variant) : null;
        List<ChatCompletion.Choice> choices = new ArrayList<>();
        for (int i = 0; i < c.captions().captions().size(); i++) {
            CaptionText t = c.captions().captions().get(i);
            String text = completion.stops().truncate(t.text());
            choices.add(new ChatCompletion.Choice(i, new ChatCompletion.Message("assistant", text, null),
                    chat.logprobs() ? Logprobs.of(model, t, text) : null, completion.finishReason(t, t.text())));
        }
        return new ChatCompletion(completion.id(), "chat.completion", completion.created(), completion.model(), choices,
                completion.usage(c));
    }

    /** {@code <model>:<precision>}, or a bare model name for the default precision; 404 naming what exists. */
    private String[] variantOf(String id) {
        int colon = id.lastIndexOf(':');
        String model = colon < 0 ? id : id.substring(0, colon);
        String precision = colon < 0 ? properties.defaultPrecision() : id.substring(colon + 1);
        if (registry.find(model, precision).isEmpty()) {
            List<String> ids = registry.all().stream().map(v -> v.key().model() + ":" + v.key().variant()).toList();
            throw new ApiException(registry.hasModel(model) ? ProblemType.UNKNOWN_PRECISION : ProblemType.UNKNOWN_MODEL,
                    "the model '" + clip(id) + "' does not exist; available: " + String.join(", ", ids))
                    .with("parameter", "model").with("available", ids);
        }
        return new String[] {model, precision};
    }

    private CaptionOptions options(ChatRequest chat, String[] variant) {
        ServeProperties.Limits limits = properties.limits();
        if (chat.n() < 1 || chat.n() > limits.maxBeams()) {
            throw ChatRequest.bad("n", "n must be between 1 and " + limits.maxBeams() + ", got " + chat.n());
        }
        if (chat.maxTokens() != null && (chat.maxTokens() < 1 || chat.maxTokens() > limits.maxNewTokens())) {
            throw ChatRequest.bad("max_completion_tokens", "max_completion_tokens (or max_tokens) must be between 1 and "
                    + limits.maxNewTokens() + ", got " + chat.maxTokens());
        }
        if (chat.n() > 1 && chat.samples()) {
            throw ChatRequest.bad("n", "n > 1 comes from beam search, which is deterministic: send temperature 0 "
                    + "(or none) with n > 1, or n 1 to sample");
        }
        if (chat.n() > 1 && chat.logprobs()) {
            throw ChatRequest.bad("logprobs", "logprobs are given for n 1 only (beam search keeps no per-token "
                    + "log-probabilities)");
        }
        if (chat.stream() && chat.logprobs()) {
            throw ChatRequest.bad("logprobs", "logprobs are not streamed; ask for them without stream");
        }
        String prompt = Blip2ChatTemplate.render(chat.turns(), limits.maxPromptChars());
        if (prompt == null) {
            throw ChatRequest.bad("messages", "the last question is longer than the limit of " + limits.maxPromptChars()
                    + " characters");
        }
        Map<String, String> params = new HashMap<>();
        params.put("model", variant[0]);
        params.put("precision", variant[1]);
        params.put("prompt", prompt);
        params.put("num_beams", Integer.toString(chat.n()));
        params.put("num_captions", Integer.toString(chat.n()));
        if (chat.maxTokens() != null) {
            params.put("max_new_tokens", Integer.toString(chat.maxTokens()));
        }
        return CaptionOptions.parse(params::get, properties);
    }

    private static CaptionService.Decoding decoding(ChatRequest chat) {
        Sampling sampling = null;
        if (chat.samples()) {
            // top_p 0 keeps only the most likely token, as the smallest positive nucleus does.
            double topP = chat.topP() == null ? 1.0 : Math.max(chat.topP(), Double.MIN_NORMAL);
            long seed = chat.seed() != null ? chat.seed() : ThreadLocalRandom.current().nextLong();
            sampling = new Sampling(chat.temperature(), topP, seed);
        }
        int top = chat.logprobs() ? (chat.topLogprobs() == null ? 0 : chat.topLogprobs()) : -1;
        return new CaptionService.Decoding(sampling, top);
    }

    private byte[] image(ChatRequest chat) {
        String url = chat.image().strip();
        long limit = properties.limits().maxBodyBytes().toBytes();
        if (url.regionMatches(true, 0, "data:", 0, 5)) {
            try {
                return ImagePayload.decode(url, limit);
            } catch (ApiException e) {
                throw e.with("parameter", chat.imageParam());
            }
        }
        if (url.regionMatches(true, 0, "https:", 0, 6) || url.regionMatches(true, 0, "http:", 0, 5)) {
            return remote.fetch(url, chat.imageParam());
        }
        throw ChatRequest.bad(chat.imageParam(), "the image URL must be a data URL (data:image/png;base64,...)"
                + (remote.enabled() ? " or an https URL" : ""));
    }

    /** The variant's engine after it answered (it is ready then), for decoding token texts. */
    private CaptionModel readyModel(String[] variant) {
        Variant v = registry.find(variant[0], variant[1]).orElseThrow();
        Variant.Status s = v.status();
        if (s.state() != VariantState.READY) {
            throw new ApiException(ProblemType.VARIANT_UNAVAILABLE, v.key() + " is no longer ready");
        }
        return s.model();
    }

    private static String clip(String v) {
        return v.length() <= 80 ? v : v.substring(0, 80) + "...";
    }

    /** What every choice and chunk of one completion share. */
    record Completion(String id, long created, String model, int maxNewTokens, StopStrings stops, int n) {

        /** {@code stop} when EOS or a stop string ended the text, {@code length} when max tokens did. */
        String finishReason(CaptionText caption, String fullText) {
            return stops.cut(fullText) >= 0 || caption.tokens().length < maxNewTokens ? "stop" : "length";
        }

        ChatCompletion.Usage usage(CaptionService.Captioned c) {
            int prompt = c.queryTokens() + c.captions().promptTokens();
            int completion = c.captions().captions().stream().mapToInt(t -> t.tokens().length).sum();
            return new ChatCompletion.Usage(prompt, completion, prompt + completion);
        }
    }
}
