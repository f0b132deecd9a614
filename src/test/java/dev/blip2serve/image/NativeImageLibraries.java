package dev.blip2serve.image;

import dev.blip2serve.testing.Requirement;
import java.util.Optional;

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
        Requirement.unmet(what + " does not load", REQUIRE);
        return null;
    }
}
