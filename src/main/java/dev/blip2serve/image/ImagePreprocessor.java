package dev.blip2serve.image;

import java.util.List;
import java.util.Objects;

/**
 * Turns images into BLIP-2 {@code pixel_values} exactly as transformers' image processors do, to the last
 * float32 bit on the same RGB input.
 *
 * <p>Two backends, because transformers 5 has two and they differ by one uint8 level in some pixels:
 * <ul>
 *   <li>{@link Backend#TORCHVISION} (default): {@code BlipImageProcessor}, the class
 *       {@code AutoImageProcessor} and {@code Blip2Processor} load. Resize is torch's uint8 antialiased
 *       interpolation ({@link TorchResize}); rescale and normalize are fused in float32:
 *       {@code (x - float32(mean) * f) / (float32(std) * f)} with {@code f = float32(1 / rescale_factor)}.
 *       The fixture goldens ({@code <image>.pixel_values}) were produced this way.</li>
 *   <li>{@link Backend#PIL}: {@code BlipImageProcessorPil} ({@code PilBackend._preprocess}). Resize is
 *       Pillow's {@code Image.resize(..., reducing_gap=None)} ({@link PilResize}); rescale is
 *       {@code float32(float64(x) * rescale_factor)}; normalize is {@code (x - float32(mean)) / float32(std)}
 *       in float32.</li>
 * </ul>
 * Java's float and double operations are IEEE-754 round-to-nearest like numpy's and ATen's, so the results are
 * identical, not merely close.
 *
 * <p>Order: RGB conversion (done by {@link ImageDecoder}), resize on the uint8 image (skipped when the size
 * already matches), rescale, normalize. Output layout is channels-first: one image is {@code float[3 * H * W]}
 * indexed {@code [c][y][x]}; a batch is {@code [B][3][H][W]}. Instances are immutable and thread-safe.
 */
public final class ImagePreprocessor {

    /** Which transformers implementation to reproduce. */
    public enum Backend {
        /** transformers' default {@code BlipImageProcessor} (torchvision / ATen on CPU). */
        TORCHVISION,
        /** transformers' {@code BlipImageProcessorPil} (Pillow + numpy). */
        PIL
    }

    private final ProcessorSettings settings;
    private final ImageDecoder decoder;
    private final Backend backend;
    private final TorchResize.Mode torchMode; // null for PIL
    private final float[] mean = new float[3];
    private final float[] std = new float[3];

    /** A preprocessor with the default {@link ImageDecoder} and the {@link Backend#TORCHVISION} backend. */
    public ImagePreprocessor(ProcessorSettings settings) {
        this(settings, new ImageDecoder(), Backend.TORCHVISION);
    }

    /**
     * A preprocessor that decodes with the given decoder (pixel limit, orientation policy).
     *
     * @throws IllegalArgumentException if the backend cannot use the configured resample filter (torchvision
     *                                  has no BOX or HAMMING)
     */
    public ImagePreprocessor(ProcessorSettings settings, ImageDecoder decoder, Backend backend) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.torchMode = backend == Backend.TORCHVISION ? TorchResize.Mode.forPilFilter(settings.resample()) : null;
        for (int c = 0; c < 3; c++) {
            // np.array(mean, dtype=float32) / torch.tensor(mean): the double rounded to the nearest float.
            float m = (float) settings.imageMean().get(c).doubleValue();
            float s = (float) settings.imageStd().get(c).doubleValue();
            if (backend == Backend.TORCHVISION && settings.doRescale() && settings.doNormalize()) {
                // _fuse_mean_std_and_rescale_factor: float32 tensor * python float, computed in float32.
                float inv = (float) (1.0 / settings.rescaleFactor());
                m = m * inv;
                s = s * inv;
            }
            mean[c] = m;
            std[c] = s;
        }
    }

    /** The backend being reproduced. */
    public Backend backend() {
        return backend;
    }

    /** The settings in use. */
    public ProcessorSettings settings() {
        return settings;
    }

    /** The decoder in use. */
    public ImageDecoder decoder() {
        return decoder;
    }

    /**
     * Decodes and preprocesses one encoded image.
     *
     * @return {@code float[3 * H * W]}, channels-first; H, W = the configured size when resizing
     * @throws ImageException if the image cannot be decoded
     */
    public float[] preprocess(byte[] encoded) {
        return preprocess(decode(encoded));
    }

    /**
     * Decodes for this preprocessor: with the decoder's DCT scaling on, a JPEG comes back no smaller than the resize
     * target (the exact resize then finishes the job); otherwise the full image.
     */
    public DecodedImage decode(byte[] encoded) {
        return settings.doResize() ? decoder.decode(encoded, settings.width(), settings.height()) : decoder.decode(encoded);
    }

    /**
     * Preprocesses one decoded image.
     *
     * @return {@code float[3 * H * W]}, channels-first; H, W = the configured size when resizing, otherwise
     *         the image's own size
     */
    public float[] preprocess(DecodedImage image) {
        Objects.requireNonNull(image, "image");
        int h = settings.doResize() ? settings.height() : image.height();
        int w = settings.doResize() ? settings.width() : image.width();
        float[] out = new float[3 * h * w];
        writeChw(image, out, 0);
        return out;
    }

    /**
     * Decodes and preprocesses several encoded images into one batch.
     *
     * @return {@code [B, 3, H, W]}
     * @throws ImageException if any image cannot be decoded (the message says which, 0-based), or if resizing
     *                        is off and the images differ in size
     */
    public PixelBatch preprocessBatch(List<byte[]> encoded) {
        Objects.requireNonNull(encoded, "encoded");
        DecodedImage[] images = new DecodedImage[encoded.size()];
        for (int i = 0; i < images.length; i++) {
            try {
                images[i] = decode(encoded.get(i));
            } catch (ImageException e) {
                throw new ImageException("image " + i + ": " + e.getMessage(), e);
            }
        }
        return preprocessDecoded(List.of(images));
    }

    /**
     * Preprocesses decoded images into one batch.
     *
     * @return {@code [B, 3, H, W]}
     * @throws ImageException if resizing is off and the images differ in size
     */
    public PixelBatch preprocessDecoded(List<DecodedImage> images) {
        Objects.requireNonNull(images, "images");
        if (images.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        int h = settings.doResize() ? settings.height() : images.getFirst().height();
        int w = settings.doResize() ? settings.width() : images.getFirst().width();
        int per = 3 * h * w;
        float[] out = new float[Math.multiplyExact(per, images.size())];
        for (int i = 0; i < images.size(); i++) {
            DecodedImage im = images.get(i);
            if (!settings.doResize() && (im.height() != h || im.width() != w)) {
                throw new ImageException("image " + i + " is " + im.width() + "x" + im.height() + ", expected "
                        + w + "x" + h + " (do_resize is false, so a batch needs equal sizes)");
            }
            writeChw(im, out, i * per);
        }
        return new PixelBatch(out, images.size(), h, w);
    }

    /** Shape of {@link #preprocessBatch} output for {@code batch} images when resizing: {@code [B, 3, H, W]}. */
    public long[] batchShape(int batch) {
        return new long[] {batch, 3, settings.height(), settings.width()};
    }

    private void writeChw(DecodedImage image, float[] out, int offset) {
        byte[] rgb = image.rgb();
        int h = image.height();
        int w = image.width();
        if (settings.doResize() && (h != settings.height() || w != settings.width())) {
            rgb = backend == Backend.PIL
                    ? PilResize.resize(rgb, w, h, 3, settings.width(), settings.height(), settings.resample())
                    : TorchResize.resize(rgb, w, h, 3, settings.width(), settings.height(), torchMode);
            h = settings.height();
            w = settings.width();
        }
        int plane = h * w;
        boolean rescale = settings.doRescale();
        boolean normalize = settings.doNormalize();
        double factor = settings.rescaleFactor();
        float factor32 = (float) factor;
        boolean fused = backend == Backend.TORCHVISION && rescale && normalize;
        for (int c = 0; c < 3; c++) {
            float m = mean[c];
            float s = std[c];
            int base = offset + c * plane;
            for (int p = 0; p < plane; p++) {
                int v = rgb[3 * p + c] & 0xff;
                float x;
                if (fused || !rescale) {
                    x = v; // uint8 -> float32 is exact
                } else if (backend == Backend.PIL) {
                    x = (float) (v * factor); // image.astype(float64) * scale, then .astype(float32)
                } else {
                    x = v * factor32; // uint8 tensor * python float: float32 arithmetic
                }
                // float32 subtraction then true division (numpy broadcasting / Tensor.sub().div_())
                out[base + p] = normalize ? (x - m) / s : x;
            }
        }
    }

    /**
     * A batch of {@code pixel_values}.
     *
     * @param data   {@code [batch][3][height][width]} flattened, float32
     * @param batch  number of images
     * @param height image height
     * @param width  image width
     */
    public record PixelBatch(float[] data, int batch, int height, int width) {

        /** Checks the buffer size. */
        public PixelBatch {
            Objects.requireNonNull(data, "data");
            if ((long) batch * 3 * height * width != data.length) {
                throw new IllegalArgumentException("data has " + data.length + " floats, expected " + batch
                        + "x3x" + height + "x" + width);
            }
        }

        /** {@code [batch, 3, height, width]}, e.g. for an ONNX tensor. */
        public long[] shape() {
            return new long[] {batch, 3, height, width};
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PixelBatch p && batch == p.batch && height == p.height && width == p.width
                    && java.util.Arrays.equals(data, p.data);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(batch, height, width, java.util.Arrays.hashCode(data));
        }

        @Override
        public String toString() {
            return "PixelBatch[" + batch + "x3x" + height + "x" + width + "]";
        }
    }
}
