package dev.blip2serve.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProcessorSettingsTest {

    @Test
    void emptyConfigMeansBlipImageProcessorDefaults() {
        ProcessorSettings s = ProcessorSettings.fromJson("{}", "test.json");
        assertEquals(ProcessorSettings.blipDefaults(), s);
        assertEquals(384, s.height());
        assertEquals(384, s.width());
        assertEquals(PilResize.Filter.BICUBIC, s.resample());
        assertTrue(s.doResize() && s.doRescale() && s.doNormalize() && s.doConvertRgb());
        assertEquals(0.00392156862745098, s.rescaleFactor()); // Python's repr of 1 / 255
        assertEquals(List.of(0.48145466, 0.4578275, 0.40821073), s.imageMean());
        assertEquals(List.of(0.26862954, 0.26130258, 0.27577711), s.imageStd());
    }

    @Test
    void fullConfigIsRead() {
        ProcessorSettings s = ProcessorSettings.fromJson("""
                {"do_convert_rgb": false, "do_normalize": false, "do_rescale": false, "do_resize": false,
                 "image_mean": [0.5, 0.25, 0.125], "image_std": [1, 2, 4], "resample": 2,
                 "rescale_factor": 0.5, "size": {"height": 224, "width": 160},
                 "image_processor_type": "BlipImageProcessor", "processor_class": "Blip2Processor"}""", "x");
        assertEquals(224, s.height());
        assertEquals(160, s.width());
        assertEquals(PilResize.Filter.BILINEAR, s.resample());
        assertFalse(s.doResize() || s.doRescale() || s.doNormalize() || s.doConvertRgb());
        assertEquals(0.5, s.rescaleFactor());
        assertEquals(List.of(0.5, 0.25, 0.125), s.imageMean());
        assertEquals(List.of(1.0, 2.0, 4.0), s.imageStd());
    }

    @Test
    void nullsTakeDefaultsAndScalarsAndIntSizesWork() {
        ProcessorSettings s = ProcessorSettings.fromJson(
                "{\"size\": 64, \"image_mean\": 0.5, \"image_std\": null, \"do_resize\": null}", "x");
        assertEquals(64, s.height());
        assertEquals(64, s.width());
        assertEquals(List.of(0.5, 0.5, 0.5), s.imageMean());
        assertEquals(ProcessorSettings.OPENAI_CLIP_STD, s.imageStd());
        assertTrue(s.doResize());
    }

    @Test
    void fixtureAndBundledConfigsParse() {
        ProcessorSettings tiny = ProcessorSettings.fromJson(
                TestResources.path("/fixtures/tiny-blip2/preprocessor_config.json"));
        ProcessorSettings shapes = ProcessorSettings.fromJson(
                TestResources.path("/models/shapes-blip2/preprocessor_config.json"));
        assertEquals(ProcessorSettings.blipDefaults().withSize(64, 64), shapes);
        assertEquals(ProcessorSettings.blipDefaults().withSize(32, 32), tiny);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "[1, 2]",
            "not json",
            "{\"size\": {\"shortest_edge\": 224}}",
            "{\"size\": {\"height\": 0, \"width\": 4}}",
            "{\"size\": {\"height\": 2.5, \"width\": 4}}",
            "{\"resample\": 0}",
            "{\"resample\": 9}",
            "{\"resample\": \"bicubic\"}",
            "{\"do_resize\": \"yes\"}",
            "{\"do_rescale\": 1}",
            "{\"rescale_factor\": \"1/255\"}",
            "{\"image_mean\": [0.5, 0.5]}",
            "{\"image_std\": [0.5, 0, 0.5]}",
            "{\"image_std\": [0.5, \"a\", 0.5]}",
    })
    void badConfigsFailWithOneLineNamingTheSource(String json) {
        ImageException e = assertThrows(ImageException.class, () -> ProcessorSettings.fromJson(json, "models/x/preprocessor_config.json"));
        assertTrue(e.getMessage().startsWith("invalid preprocessor config models/x/preprocessor_config.json: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void unreadableFileIsNamed(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("nope.json");
        ImageException e = assertThrows(ImageException.class, () -> ProcessorSettings.fromJson(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());

        Path bad = dir.resolve("preprocessor_config.json");
        Files.writeString(bad, "{\"size\": ");
        e = assertThrows(ImageException.class, () -> ProcessorSettings.fromJson(bad));
        assertTrue(e.getMessage().startsWith("invalid preprocessor config " + bad + ": not valid JSON"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
