package dev.blip2serve.serve.model;

import dev.blip2serve.serve.ServeProperties;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** {@code GET /v1/models}: every variant of the repository with its state and what its manifest says. */
@RestController
@RequestMapping("/v1")
public class ModelsController {

    private final ServeProperties properties;
    private final ModelRegistry registry;

    public ModelsController(ServeProperties properties, ModelRegistry registry) {
        this.properties = properties;
        this.registry = registry;
    }

    /** The listing: defaults first, then the variants by model and name. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ModelsResponse(String defaultModel, String defaultPrecision, List<VariantView> variants) {
    }

    @GetMapping(path = "/models", produces = MediaType.APPLICATION_JSON_VALUE)
    public ModelsResponse models() {
        VariantKey def = new VariantKey(properties.defaultModel(), properties.defaultPrecision());
        List<VariantView> views = registry.all().stream().map(v -> VariantView.of(v, v.key().equals(def))).toList();
        return new ModelsResponse(properties.defaultModel(), properties.defaultPrecision(), views);
    }
}
