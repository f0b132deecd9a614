package dev.blip2serve.repository;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** SHA-256 of files, streamed (the weights of a real model are many gigabytes). */
public final class Hashing {

    private Hashing() {
    }

    public static String sha256(Path file) throws IOException {
        return sha256(List.of(file));
    }

    /** One digest over the contents of {@code files} in the given order. */
    public static String sha256(List<Path> files) throws IOException {
        MessageDigest md = digest();
        byte[] buf = new byte[1 << 20];
        for (Path f : files) {
            try (InputStream in = Files.newInputStream(f)) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** SHA-256 of a string (UTF-8). */
    public static String sha256(String text) {
        return HexFormat.of().formatHex(digest().digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
