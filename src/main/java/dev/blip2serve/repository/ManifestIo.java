package dev.blip2serve.repository;

import dev.blip2serve.json.ProjectJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Reads, writes and verifies variant manifests. */
public final class ManifestIo {

    private static final long MAX_MANIFEST_BYTES = 4L << 20;

    private static final JsonMapper JSON = ProjectJson.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private ManifestIo() {
    }

    public static void write(Path variantDir, Manifest m) throws IOException {
        Path tmp = variantDir.resolve(Manifest.FILE_NAME + ".tmp");
        Files.writeString(tmp, JSON.writeValueAsString(m) + "\n");
        Files.move(tmp, variantDir.resolve(Manifest.FILE_NAME), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads {@code variantDir/manifest.json}; a {@link RepositoryException} with a one-line reason when it cannot. */
    public static Manifest read(Path variantDir) {
        Path file = variantDir.resolve(Manifest.FILE_NAME);
        try {
            if (!Files.isRegularFile(file)) {
                throw new RepositoryException(variantDir, "no " + Manifest.FILE_NAME);
            }
            if (Files.size(file) > MAX_MANIFEST_BYTES) {
                throw new RepositoryException(variantDir, Manifest.FILE_NAME + " is larger than 4 MB");
            }
            JsonNode tree = JSON.readTree(file.toFile());
            Manifest m = tree instanceof ObjectNode o ? JSON.treeToValue(current(o), Manifest.class) : null;
            if (m == null || m.schema() != Manifest.SCHEMA || m.files() == null || m.components() == null
                    || m.precision() == null || m.model() == null) {
                throw new RepositoryException(variantDir, Manifest.FILE_NAME + " lacks required fields or has an unknown schema");
            }
            // Entries are dereferenced by verify, totalBytes and the loader: refuse null ones here, with a reason.
            for (Manifest.FileEntry f : m.files()) {
                if (f == null || f.name() == null || f.name().isBlank() || f.sha256() == null) {
                    throw new RepositoryException(variantDir, Manifest.FILE_NAME + " has a files entry without a name or SHA-256");
                }
            }
            for (Map.Entry<String, Manifest.Component> c : m.components().entrySet()) {
                if (c.getValue() == null) {
                    throw new RepositoryException(variantDir, Manifest.FILE_NAME + " has an empty component '" + c.getKey() + "'");
                }
            }
            return m;
        } catch (JacksonException e) {
            throw new RepositoryException(variantDir, Manifest.FILE_NAME + " is not a valid manifest: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new RepositoryException(variantDir, "cannot read " + Manifest.FILE_NAME + ": " + e.getMessage());
        }
    }

    /** A schema-1 manifest in today's words ({@code variant} was the label, {@code precision} the preset). */
    private static ObjectNode current(ObjectNode m) {
        if (m.path("schema").asInt() != 1) {
            return m;
        }
        ObjectNode upgraded = m.deepCopy();
        upgraded.put("schema", Manifest.SCHEMA);
        upgraded.set("preset", m.get("precision"));
        upgraded.set("precision", m.get("variant"));
        upgraded.remove("variant");
        return upgraded;
    }

    /** Checks every listed file: present, same size, same SHA-256. Returns the problems (empty = verified). */
    public static List<String> verify(Path variantDir, Manifest m) {
        List<String> problems = new ArrayList<>();
        for (Manifest.FileEntry f : m.files()) {
            Path p = variantDir.resolve(f.name()).normalize();
            if (!p.startsWith(variantDir.normalize()) || f.name().contains("..")) {
                problems.add(f.name() + ": path leaves the variant folder");
                continue;
            }
            try {
                if (!Files.isRegularFile(p)) {
                    problems.add(f.name() + ": missing");
                } else if (Files.size(p) != f.bytes()) {
                    problems.add(f.name() + ": " + Files.size(p) + " bytes, manifest says " + f.bytes());
                } else if (!Hashing.sha256(p).equals(f.sha256())) {
                    problems.add(f.name() + ": SHA-256 does not match the manifest");
                }
            } catch (IOException e) {
                problems.add(f.name() + ": " + e.getMessage());
            }
        }
        return problems;
    }
}
