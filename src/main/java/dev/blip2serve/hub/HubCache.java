package dev.blip2serve.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * huggingface_hub's cache of one repository: {@code <cache>/models--ns--name/} with {@code blobs/<etag>} (the files,
 * named by etag), {@code snapshots/<commit>/<path>} (relative symlinks into {@code blobs}), {@code refs/<revision>}
 * (the commit a branch or tag resolved to) and {@code <cache>/.locks/models--ns--name/<etag>.lock}. A blob is written
 * as {@code <etag>.incomplete} and renamed once verified, so a complete-looking blob is always a verified one.
 */
public final class HubCache {

    static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern ETAG = Pattern.compile("[0-9A-Za-z._-]{1,128}");
    /**
     * Threads of this process queue here before the file lock: the FileChannel fallback's locks are per process, and
     * a thread waiting in {@code flock} cannot be interrupted, so at most one per lock file should.
     */
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL_LOCKS = new ConcurrentHashMap<>();

    private final Path repoDir;
    private final Path locksDir;

    public HubCache(Path cacheDir, RepoId repo) {
        Path root = cacheDir.toAbsolutePath().normalize();
        this.repoDir = root.resolve(repo.cacheFolder());
        this.locksDir = root.resolve(".locks").resolve(repo.cacheFolder());
    }

    public Path repoDir() {
        return repoDir;
    }

    public Path blob(String etag) {
        if (!ETAG.matcher(etag).matches()) {
            throw new HubException(HubException.Kind.UNAVAILABLE, "the hub sent an etag that is no file name: '" + etag + "'");
        }
        return repoDir.resolve("blobs").resolve(etag);
    }

    public Path incomplete(String etag) {
        return blob(etag).resolveSibling(etag + ".incomplete");
    }

    public Path snapshot(String commit) {
        if (!COMMIT.matcher(commit).matches()) {
            throw new HubException(HubException.Kind.UNAVAILABLE, "the hub sent a commit that is not 40 hex digits: '" + commit + "'");
        }
        return repoDir.resolve("snapshots").resolve(commit);
    }

    /** The snapshot path of a repository file; refuses paths that would leave the snapshot. */
    public Path snapshotFile(String commit, String file) {
        Path dir = snapshot(commit);
        Path p = dir.resolve(file).normalize();
        if (file.isEmpty() || file.startsWith("/") || file.contains("\\") || !p.startsWith(dir) || p.equals(dir)) {
            throw new HubException(HubException.Kind.UNAVAILABLE, "the hub listed a file outside the repository: '" + file + "'");
        }
        return p;
    }

    /** The commit {@code refs/<revision>} points at, or null when the cache never resolved that revision. */
    public String ref(String revision) throws IOException {
        if (COMMIT.matcher(revision).matches()) {
            return revision;
        }
        Path ref = refFile(revision);
        if (!Files.isRegularFile(ref)) {
            return null;
        }
        String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
        return COMMIT.matcher(commit).matches() ? commit : null;
    }

    /** Records that {@code revision} is {@code commit} (as huggingface_hub does, only for names, not for hashes). */
    public void writeRef(String revision, String commit) throws IOException {
        if (revision.equals(commit)) {
            return;
        }
        Path ref = refFile(revision);
        Files.createDirectories(ref.getParent());
        Path tmp = ref.resolveSibling(ref.getFileName() + ".tmp");
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        Files.move(tmp, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Points {@code snapshots/<commit>/<file>} at {@code blobs/<etag>} with a relative symlink, replacing any old one. */
    public Path link(String commit, String file, String etag) throws IOException {
        Path target = snapshotFile(commit, file);
        Files.createDirectories(target.getParent());
        Path relative = target.getParent().relativize(blob(etag));
        Path tmp = target.resolveSibling(target.getFileName() + ".link-tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createSymbolicLink(tmp, relative);
        } catch (UnsupportedOperationException | FileAlreadyExistsException e) {
            throw new IOException("cannot create a symlink in " + target.getParent() + ": " + e.getMessage(), e);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    /**
     * Runs {@code work} holding the blob's lock: a {@link BlobLock} ({@code flock}, as Python's filelock takes it)
     * against other processes, a mutex against other threads of this one.
     */
    public <T> T locked(String etag, IoWork<T> work) throws IOException {
        Files.createDirectories(locksDir);
        Path lockFile = lockFile(etag);
        ReentrantLock local = LOCAL_LOCKS.computeIfAbsent(lockFile, k -> new ReentrantLock());
        local.lock();
        try (BlobLock ignored = BlobLock.acquire(lockFile)) {
            return work.run();
        } finally {
            local.unlock();
        }
    }

    /** {@code .locks/<repo>/<etag>.lock}, the file huggingface_hub locks while it downloads that blob. */
    public Path lockFile(String etag) {
        blob(etag); // the etag check
        return locksDir.resolve(etag + ".lock");
    }

    private Path refFile(String revision) {
        Path refs = repoDir.resolve("refs");
        Path ref = refs.resolve(revision).normalize();
        if (!ref.startsWith(refs) || ref.equals(refs) || revision.contains("\\")) {
            throw new HubException(HubException.Kind.BAD_INPUT, "'" + revision + "' is not a revision name");
        }
        return ref;
    }

    /** An action on the cache that may fail with an {@link IOException}. */
    @FunctionalInterface
    public interface IoWork<T> {
        T run() throws IOException;
    }
}
