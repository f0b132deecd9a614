package dev.blip2serve.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Variants that must fail verification, each for one reason, written into a repository before the service starts:
 * model {@code faults}, variants {@code missing} (a listed file is absent), {@code truncated} (a file shorter than
 * the manifest says), {@code tampered} (right size, wrong SHA-256) and {@code null-entry} (a null in the files list).
 */
final class FaultyVariants {

    static final String MODEL = "faults";
    /** The one file each variant lists (ASCII, so chars = bytes). */
    static final String CONFIG = "{\"model_type\":\"x\"}\n";

    private FaultyVariants() {
    }

    static void write(Path repository) throws IOException {
        byte[] config = CONFIG.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String sha = sha256(config);
        variant(repository, "missing", config.length, sha, null);
        variant(repository, "truncated", config.length, sha, java.util.Arrays.copyOf(config, config.length / 2));
        byte[] tampered = config.clone();
        tampered[3] ^= 1;
        variant(repository, "tampered", config.length, sha, tampered);
        // found by ManifestFuzzTest: a null files entry used to pass read and throw in verify
        Path nullEntry = Files.createDirectories(repository.resolve(MODEL).resolve("null-entry"));
        Files.writeString(nullEntry.resolve("manifest.json"), "{\"schema\":1,\"model\":\"" + MODEL
                + "\",\"variant\":\"null-entry\",\"components\":{},\"files\":[null]}");
    }

    private static void variant(Path repository, String name, int bytes, String sha, byte[] content) throws IOException {
        Path dir = Files.createDirectories(repository.resolve(MODEL).resolve(name));
        Files.writeString(dir.resolve("manifest.json"), """
                {"schema":1,"model":"%s","variant":"%s","precision":"fp32",
                 "source":{"path":"checkpoint","sha256":"00","format":"safetensors"},
                 "method":{"name":"convert","parameters":{"weights":"fp32"}},
                 "components":{"vision":{"file":"vision.onnx","cpu":"fp32","cuda":"fp32"},
                               "decoder":{"file":"decoder.onnx","cpu":"fp32","cuda":"fp32"}},
                 "files":[{"name":"config.json","bytes":%d,"sha256":"%s"}]}
                """.formatted(MODEL, name, bytes, sha));
        if (content != null) {
            Files.write(dir.resolve("config.json"), content);
        }
    }

    static String sha256(byte[] data) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
