package dev.blip2serve.serve.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.image.ImageException;
import dev.blip2serve.image.UnsupportedImageException;
import org.junit.jupiter.api.Test;

/** A format this installation cannot decode is 415; a broken image of a readable format stays 422. */
class ImageProblemTypeTest {

    @Test
    void unsupportedFormatsAre415AndBrokenImages422() {
        assertThat(Problems.imageType(new UnsupportedImageException("heic images need libheif")))
                .isEqualTo(ProblemType.UNSUPPORTED_MEDIA_TYPE);
        assertThat(ProblemType.UNSUPPORTED_MEDIA_TYPE.status().value()).isEqualTo(415);
        assertThat(Problems.imageType(new ImageException("truncated or corrupt jpeg data")))
                .isEqualTo(ProblemType.INVALID_IMAGE);
        assertThat(ProblemType.INVALID_IMAGE.status().value()).isEqualTo(422);
    }
}
