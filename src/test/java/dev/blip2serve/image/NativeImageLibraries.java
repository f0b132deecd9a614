package dev.blip2serve.image;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * The native image libraries the tests bind (Debian's {@code libturbojpeg0}, {@code libheif1}, {@code libwebp7}). A missing one skips
 * the tests that need it, unless {@code BLIP2_REQUIRE_IMAGE_LIBS} is set (CI sets it; its .ci/run installs them), in
 * which case they fail.
 */
final class NativeImageLibraries {

    static final String REQUIRE = "BLIP2_REQUIRE_IMAGE_LIBS";

    private NativeImageLibraries() {
    }

    static TurboJpeg turboJpeg() {
        return present(TurboJpeg.system(), TurboJpeg.DEFAULT_LIBRARY + " (Debian: libturbojpeg0)");
    }

    static LibHeif libHeif() {
        return present(LibHeif.system(), LibHeif.DEFAULT_LIBRARY + " (Debian: libheif1)");
    }

    static LibWebp libWebp() {
        return present(LibWebp.system(), LibWebp.DEFAULT_LIBRARY + " (Debian: libwebp7)");
    }

    private static <T> T present(Optional<T> library, String what) {
        if (library.isPresent()) {
            return library.get();
        }
        if (System.getenv(REQUIRE) != null) {
            fail(what + " does not load and " + REQUIRE + " is set");
        }
        Assumptions.abort(what + " is not installed; set " + REQUIRE + "=1 to fail instead of skipping");
        return null;
    }
}
