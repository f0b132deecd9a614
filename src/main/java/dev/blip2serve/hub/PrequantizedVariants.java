package dev.blip2serve.hub;

import dev.blip2serve.repository.Manifest;
import dev.blip2serve.repository.ManifestIo;
import dev.blip2serve.repository.RepositoryException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Variant folders published on the hub: a snapshot whose folders hold {@code manifest.json} files (the project's model
 * repository, {@code <model>/<variant>/} or just {@code <variant>/}). Each variant is verified against its manifest
 * (every file's size and SHA-256) before it is installed, and installed into the local model repository under a
 * temporary name that is renamed only once complete, so the service never sees half a variant.
 */
public final class PrequantizedVariants {

    /** One verified variant of a snapshot. */
    public record Found(Path dir, Manifest manifest) {
    }

    private PrequantizedVariants() {
    }

    /** Whether a snapshot is a checkpoint to convert ({@code config.json} and safetensors at its root). */
    public static boolean isCheckpoint(Path snapshot) {
        return Files.isRegularFile(snapshot.resolve("config.json"))
                && (Files.isRegularFile(snapshot.resolve("model.safetensors"))
                || Files.isRegularFile(snapshot.resolve("model.safetensors.index.json")));
    }

    /** The variant folders of a snapshot (at depth 1 or 2), each verified; empty when it has none. */
    public static List<Found> verify(Path snapshot) {
        List<Found> found = new ArrayList<>();
        List<Path> manifests;
        try (Stream<Path> all = Files.find(snapshot, 3, (p, a) -> p.getFileName().toString().equals(Manifest.FILE_NAME))) {
            manifests = all.sorted().toList();
        } catch (IOException e) {
            throw new HubException(HubException.Kind.UNAVAILABLE, snapshot + ": " + e.getMessage(), e);
        }
        for (Path m : manifests) {
            Path dir = m.getParent();
            if (dir.equals(snapshot)) {
                continue; // a manifest at the root would make the repository one variant without a name
            }
            Manifest manifest;
            try {
                manifest = ManifestIo.read(dir);
            } catch (RepositoryException e) {
                throw new HubException(HubException.Kind.CORRUPT, "pulled variant " + snapshot.relativize(dir) + ": " + e.getMessage());
            }
            List<String> problems = ManifestIo.verify(dir, manifest);
            if (!problems.isEmpty()) {
                throw new HubException(HubException.Kind.CORRUPT, "pulled variant " + snapshot.relativize(dir)
                        + " does not match its manifest: " + String.join("; ", problems));
            }
            found.add(new Found(dir, manifest));
        }
        return found;
    }

    /**
     * Installs a verified variant as {@code <repository>/<model>/<variant>/} (hard links into the hub cache where
     * the file system allows, copies otherwise), replacing an older copy; returns the folder.
     */
    public static Path install(Found variant, Path repository, String model) throws IOException {
        checkName(model);
        checkName(variant.manifest().precision());
        Path modelDir = Files.createDirectories(repository.resolve(model));
        Path target = modelDir.resolve(variant.manifest().precision());
        Path staging = modelDir.resolve("." + variant.manifest().precision() + ".pulling");
        deleteTree(staging);
        Files.createDirectories(staging);
        List<String> names = new ArrayList<>();
        variant.manifest().files().forEach(f -> names.add(f.name()));
        names.add(Manifest.FILE_NAME);
        for (String name : names) {
            Path from = variant.dir().resolve(name).toRealPath();
            Path to = staging.resolve(name).normalize();
            if (!to.startsWith(staging)) {
                throw new HubException(HubException.Kind.CORRUPT, name + ": path leaves the variant folder");
            }
            Files.createDirectories(to.getParent());
            try {
                Files.createLink(to, from);
            } catch (IOException | UnsupportedOperationException e) {
                if (e instanceof FileAlreadyExistsException) {
                    throw (FileAlreadyExistsException) e;
                }
                Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING); // another file system: a copy
            }
        }
        Path old = modelDir.resolve("." + variant.manifest().precision() + ".old");
        deleteTree(old);
        if (Files.exists(target)) {
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
        return target;
    }

    private static void checkName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new HubException(HubException.Kind.BAD_INPUT, "'" + name + "' cannot be a folder of the model repository");
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
