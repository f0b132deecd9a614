package dev.blip2serve.image;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * The FFM plumbing the native decoders ({@link TurboJpeg}, {@link LibWebp}, {@link LibHeif}) share: opening a
 * library by name or path, binding its functions, and turning a failed downcall into an {@link ImageException} that
 * names the library. Each decoder keeps its own ABI and error handling; this class only holds what was written three
 * times before.
 */
final class NativeLibrary {

    private final String name;
    private final SymbolLookup lookup;
    private final Linker linker = Linker.nativeLinker();

    private NativeLibrary(String name, SymbolLookup lookup) {
        this.name = name;
        this.lookup = lookup;
    }

    /**
     * Opens a library from a name the dynamic loader resolves or a path (containing {@code /}); it stays loaded for
     * the life of the JVM.
     *
     * @param name    how errors name the library, e.g. {@code libheif}
     * @param library the file to open
     * @throws ImageException the library does not load
     */
    static NativeLibrary open(String name, String library) {
        try {
            SymbolLookup lookup = library.contains("/")
                    ? SymbolLookup.libraryLookup(Path.of(library), Arena.global())
                    : SymbolLookup.libraryLookup(library, Arena.global());
            return new NativeLibrary(name, lookup);
        } catch (IllegalArgumentException e) {
            throw new ImageException("cannot load " + library + ": " + e.getMessage(), e);
        }
    }

    /**
     * A downcall handle for one of the library's functions.
     *
     * @throws ImageException the library lacks the symbol ({@code "libheif lacks heif_decode_image"})
     */
    MethodHandle function(String symbol, FunctionDescriptor descriptor) {
        return linker.downcallHandle(lookup.find(symbol).orElseThrow(
                () -> new ImageException(name + " lacks " + symbol)), descriptor);
    }

    /**
     * Runs downcalls: an {@link ImageException} thrown inside passes unchanged, anything else (what
     * {@code invokeExact} may throw) becomes {@code "libheif call failed: ..."}.
     */
    <T> T call(Downcall<T> downcall) {
        try {
            return downcall.call();
        } catch (ImageException e) {
            throw e;
        } catch (Throwable t) {
            throw new ImageException(name + " call failed: " + t, t);
        }
    }

    /** Code that calls into the library; {@link MethodHandle#invokeExact} declares {@link Throwable}. */
    @FunctionalInterface
    interface Downcall<T> {
        T call() throws Throwable;
    }

    /**
     * A decoder over the system's copy of its library, loaded on first use and kept: the file a system property
     * names (or a default name), none where the property is {@code none} or the library does not load.
     *
     * @param <T> the decoder
     */
    static final class SystemCopy<T> {
        private final String property;
        private final String defaultLibrary;
        private final Function<String, T> load;
        private volatile Optional<T> loaded;

        /**
         * @param property       the system property naming another file, or {@code none}
         * @param defaultLibrary what is loaded without the property
         * @param load           makes the decoder from a library file; throws {@link ImageException} where it cannot
         */
        SystemCopy(String property, String defaultLibrary, Function<String, T> load) {
            this.property = property;
            this.defaultLibrary = defaultLibrary;
            this.load = load;
        }

        /** The decoder, or empty; the first call decides for the life of the JVM. */
        Optional<T> get() {
            Optional<T> s = loaded;
            if (s == null) {
                synchronized (this) {
                    s = loaded;
                    if (s == null) {
                        loaded = s = tryLoad();
                    }
                }
            }
            return s;
        }

        private Optional<T> tryLoad() {
            String library = System.getProperty(property, defaultLibrary).strip();
            if (library.equalsIgnoreCase("none")) {
                return Optional.empty();
            }
            try {
                return Optional.of(load.apply(library));
            } catch (ImageException e) {
                return Optional.empty();
            }
        }
    }
}
