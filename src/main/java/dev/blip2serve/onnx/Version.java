package dev.blip2serve.onnx;

/** The tool version stamped into models and manifests (from the jar manifest; "dev" in a build tree). */
public final class Version {

    private Version() {
    }

    public static String current() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
