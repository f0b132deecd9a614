package dev.blip2serve.image;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The error texts the three native decoders share through {@link NativeLibrary}, against the C library (present on
 * every Linux machine, so nothing here depends on the image libraries being installed).
 */
class NativeLibraryTest {

    private static final String LIBC = "libc.so.6";

    @Test
    void aLibraryThatDoesNotLoadIsOneLineNamingTheFile() {
        assertThatThrownBy(() -> NativeLibrary.open("libnothing", "libnothing-here.so.9"))
                .isInstanceOf(ImageException.class).hasMessageStartingWith("cannot load libnothing-here.so.9: ")
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> NativeLibrary.open("libnothing", "/nonexistent/libnothing.so.9"))
                .isInstanceOf(ImageException.class)
                .hasMessageStartingWith("cannot load /nonexistent/libnothing.so.9: ");
    }

    @Test
    void aMissingFunctionIsNamedWithTheLibrary() {
        NativeLibrary libc = NativeLibrary.open("libc", LIBC);
        assertThatThrownBy(() -> libc.function("no_such_function_here", FunctionDescriptor.ofVoid()))
                .isInstanceOf(ImageException.class).hasMessage("libc lacks no_such_function_here");
    }

    @Test
    void downcallsReturnTheirValueAndWrapOnlyWhatIsNotAnImageException() throws Throwable {
        NativeLibrary libc = NativeLibrary.open("libc", LIBC);
        MethodHandle strlen = libc.function("strlen", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocateFrom("blip-2");
            assertThat(libc.call(() -> (long) strlen.invokeExact(text))).isEqualTo(6L);
        }
        ImageException own = new ImageException("cannot decode webp image: libwebp cannot read its header");
        assertThatThrownBy(() -> libc.call(() -> {
            throw own;
        })).isSameAs(own);
        assertThatThrownBy(() -> libc.call(() -> {
            throw new IllegalStateException("closed arena");
        })).isInstanceOf(ImageException.class)
                .hasMessage("libc call failed: java.lang.IllegalStateException: closed arena").hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void theSystemCopyIsLoadedOnceAndIsEmptyForNoneOrAMissingLibrary() {
        String property = "blip2.test.native-library";
        AtomicInteger loads = new AtomicInteger();
        try {
            System.setProperty(property, " None ");
            assertThat(new NativeLibrary.SystemCopy<>(property, LIBC, name -> loads.incrementAndGet()).get()).isEmpty();
            assertThat(loads).hasValue(0);

            System.setProperty(property, "libnothing-here.so.9");
            assertThat(new NativeLibrary.SystemCopy<>(property, LIBC,
                    name -> NativeLibrary.open("libnothing", name)).get()).isEmpty();

            System.clearProperty(property);
            NativeLibrary.SystemCopy<String> copy = new NativeLibrary.SystemCopy<>(property, LIBC, name -> {
                loads.incrementAndGet();
                NativeLibrary.open("libc", name);
                return name;
            });
            assertThat(copy.get()).contains(LIBC);
            System.setProperty(property, "none"); // decided on the first call, for the life of the JVM
            assertThat(copy.get()).contains(LIBC);
            assertThat(loads).hasValue(1);
        } finally {
            System.clearProperty(property);
        }
    }
}
