package dev.blip2serve.testing;

import org.junit.jupiter.api.Assumptions;

/**
 * A test that needs something this machine may lack (a Docker engine, Chromium, node, a native library): it skips
 * where it is missing, but fails where the environment variable that {@code .ci/run} sets for it is present, so a
 * missing install never passes in CI unnoticed.
 */
public final class Requirement {

    private Requirement() {
    }

    /**
     * Skips the calling test, or fails it where {@code requireVariable} is set.
     *
     * @param missing what is missing, with how to get it
     */
    public static void unmet(String missing, String requireVariable) {
        if (System.getenv(requireVariable) != null) {
            throw new AssertionError(missing + " (" + requireVariable + " is set)");
        }
        Assumptions.abort(missing + "; set " + requireVariable + "=1 to fail instead of skipping");
    }
}
