package dev.blip2serve.serve.caption;

import dev.blip2serve.image.ImageDecoder;
import dev.blip2serve.image.TurboJpeg;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the service decodes images, {@code blip2.image.*}.
 *
 * @param dctScaling decode large JPEGs through libjpeg-turbo's DCT scaling to the smallest size not below the model's
 *                   input before the exact resize: several times faster for phone photos, but the pixels are no
 *                   longer those of HF's processor (docs/benchmarks/image-decode.md measures by how much). Off by
 *                   default; without libturbojpeg0 it has no effect.
 */
@ConfigurationProperties("blip2.image")
public record ImageProperties(@DefaultValue("false") boolean dctScaling) {

    /** The decoder for requests: TurboJPEG where installed, EXIF orientation applied. */
    ImageDecoder decoder(long maxPixels) {
        return new ImageDecoder(maxPixels, true, TurboJpeg.system().orElse(null), dctScaling);
    }
}
