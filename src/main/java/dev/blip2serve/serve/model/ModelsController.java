package dev.blip2serve.serve.model;

import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.repository.Manifest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * {@code GET /v1/models}: every variant of the repository with its state and what its manifest says, and the same
 * list in OpenAI's shape.
 */
@RestController
@RequestMapping("/v1")
public class ModelsController {

    private final ServeProperties properties;
    private final ModelRegistry registry;

    public ModelsController(ServeProperties properties, ModelRegistry registry) {
        this.properties = properties;
        this.registry = registry;
    }

    /**
     * The listing: defaults first, then the variants by model and name; {@code object} and {@code data} are the same
     * variants in OpenAI's list shape (what an OpenAI SDK's {@code models.list()} reads).
     *
     * @param object always {@code list}
     * @param data   per variant {@code <model>:<precision>}, and per model whose default precision exists its bare
     *               name (that variant), in every state
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ModelsResponse(String defaultModel, String defaultPrecision, List<VariantView> variants,
                                 String object, List<OpenAiModel> data) {
    }

    /**
     * One entry of OpenAI's model list.
     *
     * @param id      what {@code /v1/chat/completions} takes as {@code model}
     * @param object  always {@code model}
     * @param created the manifest's creation time in seconds since the epoch; 0 while unknown
     * @param ownedBy always {@code blip2-serve}
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record OpenAiModel(String id, String object, long created, String ownedBy) {
    }

    @GetMapping(path = "/models", produces = MediaType.APPLICATION_JSON_VALUE)
    public ModelsResponse models() {
        VariantKey def = new VariantKey(properties.defaultModel(), properties.defaultPrecision());
        List<Variant> all = registry.all();
        List<VariantView> views = all.stream().map(v -> VariantView.of(v, v.key().equals(def))).toList();
        List<OpenAiModel> data = new ArrayList<>();
        for (Variant v : all) {
            long created = created(v);
            if (v.key().variant().equals(properties.defaultPrecision())) {
                data.add(new OpenAiModel(v.key().model(), "model", created, OWNER));
            }
            data.add(new OpenAiModel(v.key().model() + ":" + v.key().variant(), "model", created, OWNER));
        }
        return new ModelsResponse(properties.defaultModel(), properties.defaultPrecision(), views, "list", data);
    }

    private static final String OWNER = "blip2-serve";

    private static long created(Variant v) {
        Manifest m = v.status().manifest();
        if (m == null || m.createdAt() == null) {
            return 0;
        }
        try {
            return Instant.parse(m.createdAt()).getEpochSecond();
        } catch (DateTimeParseException e) {
            return 0;
        }
    }
}
