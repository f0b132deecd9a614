/**
 * Image decoding and preprocessing that reproduces Hugging Face's {@code BlipImageProcessor} (PIL backend)
 * bit for bit on PNG input.
 *
 * <p>Pipeline: {@link dev.blip2serve.image.ImageDecoder} (bytes to 8-bit RGB, PIL's mode conversions,
 * EXIF orientation, decompression-bomb guard) then {@link dev.blip2serve.image.ImagePreprocessor}
 * ({@link dev.blip2serve.image.PilResize} PIL-exact resampling, rescale, normalize, CHW float32),
 * configured by {@link dev.blip2serve.image.ProcessorSettings} from {@code preprocessor_config.json}.
 *
 * <p>Native decoders, bound through the FFM API ({@code java.lang.foreign}, no JNI) and optional: where Debian's
 * library is installed it is used, otherwise the Java decoder. {@link dev.blip2serve.image.TurboJpeg}
 * ({@code libturbojpeg0}: JPEG, the library Pillow decodes with, so the bytes stay Pillow's),
 * {@link dev.blip2serve.image.LibWebp} ({@code libwebp7}: still WebP, likewise) and
 * {@link dev.blip2serve.image.LibHeif} ({@code libheif1}: HEIC and AVIF, which have no Java decoder). They live here
 * rather than in a package of their own because each is one file and {@code ImageDecoder} is their only user; the FFM
 * API is the JDK's, so the package stays free of Spring and ONNX Runtime. What binding a library takes (opening it,
 * its functions, the error texts of a failed call, the system copy loaded once) is written once, in
 * {@code NativeLibrary}; each decoder holds only its ABI.
 *
 * <p>Only the JDK, ImageIO plugins (TwelveMonkeys) and Jackson are used here.
 */
package dev.blip2serve.image;
