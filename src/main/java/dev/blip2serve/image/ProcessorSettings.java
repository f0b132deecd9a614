package dev.blip2serve.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The parts of a Hugging Face {@code preprocessor_config.json} ({@code BlipImageProcessor}) that shape
 * {@code pixel_values}.
 *
 * <p>A field missing from the file (or JSON {@code null}) takes the {@code BlipImageProcessor} class default,
 * see {@link #blipDefaults()}: 384x384, bicubic, rescale 1/255, OpenAI CLIP mean/std, every {@code do_*}
 * flag true. Unknown fields ({@code image_processor_type}, {@code processor_class}, ...) are ignored.
 *
 * @param height        output height ({@code size.height}), pixels
 * @param width         output width ({@code size.width}), pixels
 * @param resample      PIL resampling filter ({@code resample}, PIL's integer code)
 * @param doResize      whether to resize to {@code height x width}
 * @param doRescale     whether to multiply the 0..255 values by {@code rescaleFactor}
 * @param rescaleFactor rescale multiplier, normally 1/255
 * @param doNormalize   whether to apply {@code (x - mean) / std} per channel
 * @param imageMean     per-channel mean, R, G, B (exactly 3 values)
 * @param imageStd      per-channel standard deviation, R, G, B (exactly 3 non-zero values)
 * @param doConvertRgb  whether to convert to RGB first; the decoder always yields RGB, so this only matters
 *                      for callers that build their own {@link DecodedImage}
 */
public record ProcessorSettings(
        int height,
        int width,
        PilResize.Filter resample,
        boolean doResize,
        boolean doRescale,
        double rescaleFactor,
        boolean doNormalize,
        List<Double> imageMean,
        List<Double> imageStd,
        boolean doConvertRgb) {

    /** {@code OPENAI_CLIP_MEAN} in transformers' {@code image_utils.py}. */
    public static final List<Double> OPENAI_CLIP_MEAN = List.of(0.48145466, 0.4578275, 0.40821073);
    /** {@code OPENAI_CLIP_STD} in transformers' {@code image_utils.py}. */
    public static final List<Double> OPENAI_CLIP_STD = List.of(0.26862954, 0.26130258, 0.27577711);

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Validates the values; throws {@link IllegalArgumentException} with a one-line reason. */
    public ProcessorSettings {
        Objects.requireNonNull(resample, "resample");
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("size must be positive, got " + height + "x" + width);
        }
        if (!Double.isFinite(rescaleFactor)) {
            throw new IllegalArgumentException("rescale_factor must be finite, got " + rescaleFactor);
        }
        imageMean = List.copyOf(Objects.requireNonNull(imageMean, "image_mean"));
        imageStd = List.copyOf(Objects.requireNonNull(imageStd, "image_std"));
        if (imageMean.size() != 3 || imageStd.size() != 3) {
            throw new IllegalArgumentException("image_mean and image_std need 3 values (RGB), got "
                    + imageMean.size() + " and " + imageStd.size());
        }
        for (int c = 0; c < 3; c++) {
            if (!Double.isFinite(imageMean.get(c)) || !Double.isFinite(imageStd.get(c)) || imageStd.get(c) == 0.0) {
                throw new IllegalArgumentException("image_mean must be finite and image_std finite and non-zero, got "
                        + imageMean + " / " + imageStd);
            }
        }
    }

    /** The {@code BlipImageProcessor} class defaults (what an empty {@code {}} config means). */
    public static ProcessorSettings blipDefaults() {
        return new ProcessorSettings(384, 384, PilResize.Filter.BICUBIC, true, true, 1.0 / 255.0, true,
                OPENAI_CLIP_MEAN, OPENAI_CLIP_STD, true);
    }

    /** Same settings with another output size. */
    public ProcessorSettings withSize(int newHeight, int newWidth) {
        return new ProcessorSettings(newHeight, newWidth, resample, doResize, doRescale, rescaleFactor,
                doNormalize, imageMean, imageStd, doConvertRgb);
    }

    /**
     * Reads a {@code preprocessor_config.json}.
     *
     * @throws ImageException if the file cannot be read, is not JSON, or holds an invalid value; the
     *                        one-line message names the file
     */
    public static ProcessorSettings fromJson(Path file) {
        Objects.requireNonNull(file, "file");
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException | RuntimeException e) {
            throw new ImageException("cannot read preprocessor config " + file + ": " + e.getMessage(), e);
        }
        return fromJson(text, file.toString());
    }

    /**
     * Parses {@code preprocessor_config.json} content.
     *
     * @param json       the JSON text
     * @param sourceName what to call the source in error messages (usually the file path)
     * @throws ImageException if the text is not a JSON object or holds an invalid value
     */
    public static ProcessorSettings fromJson(String json, String sourceName) {
        Objects.requireNonNull(json, "json");
        String where = "invalid preprocessor config " + sourceName + ": ";
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new ImageException(where + "not valid JSON (" + firstLine(e.getOriginalMessage()) + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new ImageException(where + "top level must be a JSON object");
        }
        try {
            return parse(root);
        } catch (IllegalArgumentException e) {
            throw new ImageException(where + e.getMessage(), e);
        }
    }

    private static ProcessorSettings parse(JsonNode root) {
        ProcessorSettings d = blipDefaults();
        int height = d.height;
        int width = d.width;
        JsonNode size = field(root, "size");
        if (size != null) {
            if (size.isIntegralNumber() && size.canConvertToInt()) {
                // An int size means a square (BlipImageProcessor has default_to_square = True).
                height = width = size.intValue();
            } else if (size.isObject() && field(size, "height") != null && field(size, "width") != null) {
                height = intField(size, "height", "size.height");
                width = intField(size, "width", "size.width");
            } else {
                throw new IllegalArgumentException("size must be {\"height\": H, \"width\": W} or an integer"
                        + " (shortest_edge / longest_edge resizing is not a BLIP option), got " + size);
            }
        }
        PilResize.Filter resample = d.resample;
        if (field(root, "resample") != null) {
            int code = intField(root, "resample", "resample");
            resample = PilResize.Filter.fromPilCode(code);
        }
        return new ProcessorSettings(
                height,
                width,
                resample,
                boolField(root, "do_resize", d.doResize),
                boolField(root, "do_rescale", d.doRescale),
                numberField(root, "rescale_factor", d.rescaleFactor),
                boolField(root, "do_normalize", d.doNormalize),
                channelList(root, "image_mean", d.imageMean),
                channelList(root, "image_std", d.imageStd),
                boolField(root, "do_convert_rgb", d.doConvertRgb));
    }

    /** The field, or null when absent or JSON null (HF treats None as "use the class default"). */
    private static JsonNode field(JsonNode node, String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() || v.isMissingNode() ? null : v;
    }

    private static int intField(JsonNode node, String name, String label) {
        JsonNode v = field(node, name);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException(label + " must be an integer, got " + v);
        }
        return v.intValue();
    }

    private static boolean boolField(JsonNode node, String name, boolean dflt) {
        JsonNode v = field(node, name);
        if (v == null) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(name + " must be true or false, got " + v);
        }
        return v.booleanValue();
    }

    private static double numberField(JsonNode node, String name, double dflt) {
        JsonNode v = field(node, name);
        if (v == null) {
            return dflt;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException(name + " must be a number, got " + v);
        }
        return v.doubleValue();
    }

    private static List<Double> channelList(JsonNode node, String name, List<Double> dflt) {
        JsonNode v = field(node, name);
        if (v == null) {
            return dflt;
        }
        if (v.isNumber()) {
            // transformers' normalize() repeats a scalar mean/std over the channels.
            return List.of(v.doubleValue(), v.doubleValue(), v.doubleValue());
        }
        if (!v.isArray() || v.size() != 3) {
            throw new IllegalArgumentException(name + " must be a list of 3 numbers, got " + v);
        }
        Double[] out = new Double[3];
        for (int i = 0; i < 3; i++) {
            if (!v.get(i).isNumber()) {
                throw new IllegalArgumentException(name + " must be a list of 3 numbers, got " + v);
            }
            out[i] = v.get(i).doubleValue();
        }
        return List.of(out);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "parse error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
