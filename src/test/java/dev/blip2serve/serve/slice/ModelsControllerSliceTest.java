package dev.blip2serve.serve.slice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.nullValue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.blip2serve.repository.Manifest;
import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.TestProperties;
import dev.blip2serve.serve.caption.CaptionController;
import dev.blip2serve.serve.caption.CaptionService;
import dev.blip2serve.serve.model.CaptionModel;
import dev.blip2serve.serve.model.ModelRegistry;
import dev.blip2serve.serve.model.ModelsController;
import dev.blip2serve.serve.model.RepositoryBootstrap;
import dev.blip2serve.serve.model.VariantLoader;
import dev.blip2serve.serve.model.Variant;
import dev.blip2serve.serve.model.VariantKey;
import dev.blip2serve.serve.web.ApiExceptionHandler;
import dev.blip2serve.serve.web.ProblemErrorController;
import dev.blip2serve.serve.web.ProblemType;
import dev.blip2serve.serve.web.RequestIdFilter;
import io.micrometer.core.instrument.DistributionSummary;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/**
 * {@link ModelsController} alone: the MVC slice with {@link ModelRegistry} mocked to list hand-made variants in each
 * state (ready with a manifest, loading, failed). Nothing is loaded and no batch worker starts: a {@link Variant}'s
 * scheduler only starts threads on its first submitted job.
 */
@WebMvcTest(controllers = ModelsController.class)
@EnableConfigurationProperties(ServeProperties.class)
class ModelsControllerSliceTest {

    @Autowired
    MockMvc mvc;

    @Autowired
    ApplicationContext context;

    @MockitoBean
    ModelRegistry registry;

    private static Variant variant(String model, String name) {
        return new Variant(new VariantKey(model, name), Path.of("unused", model, name), TestProperties.batching(),
                mock(DistributionSummary.class));
    }

    private static Manifest manifest(String model, String variant, String precision) {
        return new Manifest(Manifest.SCHEMA, model, variant, precision,
                new Manifest.Source("/checkpoints/" + model, "abc", "safetensors"),
                new Manifest.Method("convert", Map.of("weights", precision)), null,
                Map.of("vision", new Manifest.Component("vision.onnx", "fp32 MatMul", "fp32 MatMul")),
                List.of(new Manifest.FileEntry("vision.onnx", 1000, "x"), new Manifest.FileEntry("decoder.onnx", 2345, "y")),
                "2025-01-01T00:00:00Z", "test", Map.of("shapes-eval", Map.of("cider", 0.9)), Map.of());
    }

    private static Variant ready(String model, String name) {
        Variant v = variant(model, name);
        CaptionModel m = mock(CaptionModel.class);
        when(m.manifest()).thenReturn(manifest(model, name, name));
        v.ready(m);
        return v;
    }

    @Test
    void listsEveryVariantWithItsStateAndMarksTheDefault() throws Exception {
        Variant fp16 = ready("shapes-blip2", "fp16");
        Variant fp32 = ready("shapes-blip2", "fp32");
        fp32.loadResidentDeltaBytes(12_345_678L);
        Variant w4a4 = variant("shapes-blip2", "w4a4");
        w4a4.failed("manifest checksum mismatch", null);
        Variant w8a8 = variant("shapes-blip2", "w8a8");
        w8a8.loading("converting: 3/10 tensors");
        when(registry.all()).thenReturn(List.of(fp16, fp32, w4a4, w8a8));

        mvc.perform(get("/v1/models").header("X-Request-Id", "models-1"))
                .andExpect(status().isOk())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_JSON))
                .andExpect(header().string("X-Request-Id", "models-1"))
                .andExpect(jsonPath("$.default_model").value("shapes-blip2"))
                .andExpect(jsonPath("$.default_precision").value("fp32"))
                .andExpect(jsonPath("$.variants.length()").value(4))
                .andExpect(jsonPath("$.variants[*].precision").value(org.hamcrest.Matchers.contains("fp16", "fp32", "w4a4", "w8a8")))
                .andExpect(jsonPath("$.variants[0].model").value("shapes-blip2"))
                .andExpect(jsonPath("$.variants[0].state").value("ready"))
                .andExpect(jsonPath("$.variants[0].is_default").value(false))
                .andExpect(jsonPath("$.variants[0].preset").value("fp16"))
                .andExpect(jsonPath("$.variants[1].state").value("ready"))
                .andExpect(jsonPath("$.variants[1].is_default").value(true))
                .andExpect(jsonPath("$.variants[1].preset").value("fp32"))
                .andExpect(jsonPath("$.variants[1].bytes_on_disk").value(3345))
                .andExpect(jsonPath("$.variants[1].method.name").value("convert"))
                .andExpect(jsonPath("$.variants[1].compute.vision.cpu").value("fp32 MatMul"))
                .andExpect(jsonPath("$.variants[1].quality['shapes-eval'].cider").value(0.9))
                .andExpect(jsonPath("$.variants[1].memory.load_resident_delta_bytes").value(12_345_678))
                .andExpect(jsonPath("$.variants[2].state").value("failed"))
                .andExpect(jsonPath("$.variants[2].reason").value("manifest checksum mismatch"))
                .andExpect(jsonPath("$.variants[2].preset").doesNotExist())
                .andExpect(jsonPath("$.variants[3].state").value("loading"))
                .andExpect(jsonPath("$.variants[3].detail").value("converting: 3/10 tensors"))
                .andExpect(jsonPath("$.variants[3].memory").doesNotExist());
    }

    @Test
    void emptyRegistryListsNoVariants() throws Exception {
        when(registry.all()).thenReturn(List.of());

        mvc.perform(get("/v1/models"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.default_model").value("shapes-blip2"))
                .andExpect(jsonPath("$.variants").isArray())
                .andExpect(jsonPath("$.variants.length()").value(0));
    }

    @Test
    void postIsA405Problem() throws Exception {
        mvc.perform(post("/v1/models"))
                .andExpect(status().isMethodNotAllowed())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.type").value(ProblemType.METHOD_NOT_ALLOWED.uri().toString()))
                .andExpect(jsonPath("$.request_id").isString())
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.not(nullValue())));
    }

    /** Guards the slice: the web layer is there, the service's loading and captioning machinery is not. */
    @Test
    void contextIsAWebSliceOnly() {
        assertThat(context.getBeanNamesForType(ModelsController.class)).hasSize(1);
        assertThat(context.getBeanNamesForType(ApiExceptionHandler.class)).hasSize(1);
        assertThat(context.getBeanNamesForType(RequestIdFilter.class)).hasSize(1);
        assertThat(context.getBeanNamesForType(CaptionController.class)).isEmpty();
        assertThat(context.getBeanNamesForType(ProblemErrorController.class)).isEmpty();
        assertThat(context.getBeanNamesForType(CaptionService.class)).isEmpty();
        assertThat(context.getBeanNamesForType(VariantLoader.class)).isEmpty();
        assertThat(context.getBeanNamesForType(RepositoryBootstrap.class)).isEmpty();
    }
}
