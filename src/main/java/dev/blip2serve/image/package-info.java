/**
 * Image decoding and preprocessing that reproduces Hugging Face's {@code BlipImageProcessor} (PIL backend)
 * bit for bit on PNG input.
 *
 * <p>Pipeline: {@link dev.blip2serve.image.ImageDecoder} (bytes to 8-bit RGB, PIL's mode conversions,
 * EXIF orientation, decompression-bomb guard) then {@link dev.blip2serve.image.ImagePreprocessor}
 * ({@link dev.blip2serve.image.PilResize} PIL-exact resampling, rescale, normalize, CHW float32),
 * configured by {@link dev.blip2serve.image.ProcessorSettings} from {@code preprocessor_config.json}.
 *
 * <p>Only the JDK, ImageIO plugins (TwelveMonkeys) and Jackson are used here.
 */
package dev.blip2serve.image;
