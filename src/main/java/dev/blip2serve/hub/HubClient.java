package dev.blip2serve.hub;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.stream.Stream;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.JacksonIOException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pulls a repository snapshot as huggingface_hub's {@code snapshot_download} does: the revision's commit and file list
 * from {@code /api/models/{repo}/revision/{rev}}, {@code refs/<rev>} written, then per file a {@code HEAD} of
 * {@code /resolve/<commit>/<file>} and, unless the blob is cached, its download under the blob's lock. Offline (or when
 * the hub cannot be reached) it serves the snapshot the cache has for the revision.
 */
public final class HubClient {

    /** Weights in formats the converter does not read; skipped when the repository also has safetensors. */
    private static final List<String> OTHER_WEIGHTS = List.of(".bin", ".pt", ".pth", ".h5", ".msgpack", ".ot", ".ckpt",
            ".gguf", ".tflite", ".mlmodel");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HubSettings settings;
    private final HubListener listener;
    private final HubHttp http;
    private final BlobDownloader downloader;

    public HubClient(HubSettings settings, HubListener listener) {
        this(settings, listener, dir -> Files.getFileStore(existing(dir)).getUsableSpace());
    }

    HubClient(HubSettings settings, HubListener listener, BlobDownloader.FreeSpace freeSpace) {
        this.settings = settings;
        this.listener = listener;
        this.http = new HubHttp(settings, listener);
        this.downloader = new BlobDownloader(http, listener, freeSpace);
    }

    /** The repository at {@code revision} (branch, tag or commit), complete in the cache. */
    public Snapshot pull(RepoId repo, String revision) {
        checkRevision(revision);
        HubCache cache = new HubCache(settings.cacheDir(), repo);
        String what = repo + " at " + revision;
        try {
            if (settings.offline()) {
                return cached(repo, revision, cache, "offline mode (HF_HUB_OFFLINE is set)");
            }
            Listing listing;
            try {
                listing = list(repo, revision, what);
            } catch (HubException e) {
                if (e.kind() == HubException.Kind.UNAVAILABLE && e.getCause() instanceof IOException) {
                    return cached(repo, revision, cache, e.getMessage()); // no network: what the cache has
                }
                throw e;
            }
            cache.writeRef(revision, listing.commit());
            long bytes = 0;
            long fetched = 0;
            for (String file : listing.files()) {
                Path link = cache.snapshotFile(listing.commit(), file);
                if (Files.isRegularFile(link)) { // follows the symlink: the blob is there
                    bytes += Files.size(link);
                    continue;
                }
                FileMetadata meta = metadata(repo, listing.commit(), file);
                long got = cache.locked(meta.etag(), () -> {
                    Path blob = cache.blob(meta.etag());
                    long n = Files.isRegularFile(blob) ? 0 : downloader.download(file, meta, blob, cache.incomplete(meta.etag()));
                    cache.link(listing.commit(), file, meta.etag());
                    return n;
                });
                fetched += got;
                bytes += Files.size(link);
                listener.progress(file, Files.size(link), Files.size(link));
            }
            return new Snapshot(repo, revision, listing.commit(), cache.snapshot(listing.commit()), listing.files(), bytes, fetched);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("No space left on device")) {
                throw new HubException(HubException.Kind.DISK_FULL, what + ": disk full in " + settings.cacheDir(), e);
            }
            throw new HubException(HubException.Kind.UNAVAILABLE, what + ": cache " + settings.cacheDir() + ": " + e.getMessage(), e);
        }
    }

    /** The snapshot the cache holds for a revision, without any request (huggingface_hub's offline behaviour). */
    public Snapshot cached(RepoId repo, String revision) {
        checkRevision(revision);
        try {
            return cached(repo, revision, new HubCache(settings.cacheDir(), repo), "asked for the cache only");
        } catch (IOException e) {
            throw new HubException(HubException.Kind.NOT_CACHED, repo + " at " + revision + ": cannot read the cache: " + e.getMessage(), e);
        }
    }

    private Snapshot cached(RepoId repo, String revision, HubCache cache, String why) throws IOException {
        String commit = cache.ref(revision);
        Path dir = commit == null ? null : cache.snapshot(commit);
        if (dir == null || !Files.isDirectory(dir)) {
            throw new HubException(HubException.Kind.NOT_CACHED, repo + " at " + revision + " is not in the cache "
                    + settings.cacheDir() + " and cannot be downloaded: " + why);
        }
        List<String> files = new ArrayList<>();
        long bytes = 0;
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted()::iterator) {
                if (Files.isSymbolicLink(p) || Files.isRegularFile(p)) {
                    if (!Files.isRegularFile(p)) {
                        throw new HubException(HubException.Kind.NOT_CACHED, repo + " at " + revision + ": the cached "
                                + dir.relativize(p) + " points at a missing blob; pull it again online");
                    }
                    files.add(dir.relativize(p).toString().replace('\\', '/'));
                    bytes += Files.size(p);
                }
            }
        }
        return new Snapshot(repo, revision, commit, dir, List.copyOf(files), bytes, 0);
    }

    private record Listing(String commit, List<String> files) {
    }

    private Listing list(RepoId repo, String revision, String what) throws IOException {
        URI uri = URI.create(settings.endpoint() + "/api/models/" + repo.id() + "/revision/" + encode(revision));
        HttpResponse<InputStream> r = http.getApi(uri, what);
        JsonNode info;
        try (InputStream in = r.body()) {
            info = JSON.readTree(in);
        } catch (JacksonIOException e) {
            // dropped, or no data within the read timeout: as unreachable as a refused connection
            throw new HubException(HubException.Kind.UNAVAILABLE, what + ": the hub's repository info broke off ("
                    + e.getCause().getMessage() + ")", e.getCause());
        } catch (JacksonException e) {
            throw new HubException(HubException.Kind.UNAVAILABLE, what + ": the hub's repository info is not JSON: " + e.getOriginalMessage());
        }
        String commit = info.path("sha").asString("");
        if (!HubCache.COMMIT.matcher(commit).matches()) {
            throw new HubException(HubException.Kind.UNAVAILABLE, what + ": the hub's repository info has no commit sha");
        }
        TreeSet<String> files = new TreeSet<>();
        for (JsonNode s : info.path("siblings")) {
            String f = s.path("rfilename").asString("");
            if (!f.isEmpty()) {
                files.add(f);
            }
        }
        if (files.isEmpty()) {
            throw new HubException(HubException.Kind.BAD_INPUT, what + ": the repository has no files");
        }
        boolean safetensors = files.stream().anyMatch(f -> f.endsWith(".safetensors"));
        if (safetensors) {
            files.removeIf(f -> OTHER_WEIGHTS.stream().anyMatch(ext -> f.toLowerCase(Locale.ROOT).endsWith(ext)));
        }
        return new Listing(commit, List.copyOf(files));
    }

    private FileMetadata metadata(RepoId repo, String commit, String file) throws IOException {
        URI uri = URI.create(settings.endpoint() + "/" + repo.id() + "/resolve/" + commit + "/" + encodePath(file));
        HttpResponse<InputStream> r = http.head(uri, repo + ": " + file);
        r.body().close();
        var h = r.headers();
        String etag = h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag")).map(FileMetadata::normalizeEtag).orElse(null);
        if (etag == null || etag.isEmpty()) {
            throw new HubException(HubException.Kind.UNAVAILABLE, repo + ": " + file + ": the hub sent no ETag, so the "
                    + "download could not be verified");
        }
        String fileCommit = h.firstValue("X-Repo-Commit").orElse(commit);
        long size = h.firstValue("X-Linked-Size").or(() -> h.firstValue("Content-Length")).map(Long::parseLong).orElse(-1L);
        URI location = r.statusCode() >= 300 && r.statusCode() <= 399
                ? r.uri().resolve(h.firstValue("Location").orElseThrow()) : r.uri();
        if (!fileCommit.equals(commit)) {
            throw new HubException(HubException.Kind.UNAVAILABLE, repo + ": " + file + " resolved to commit " + fileCommit
                    + ", the listing was of " + commit);
        }
        return new FileMetadata(fileCommit, etag, size, location);
    }

    private static void checkRevision(String revision) {
        if (revision == null || revision.isBlank() || revision.contains("..") || revision.startsWith("/")
                || revision.endsWith("/") || revision.chars().anyMatch(c -> c < 0x20 || c == '\\')) {
            throw new HubException(HubException.Kind.BAD_INPUT, "'" + revision + "' is not a revision (a branch, tag or commit)");
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String file) {
        StringBuilder b = new StringBuilder();
        for (String part : file.split("/", -1)) {
            b.append(b.isEmpty() ? "" : "/").append(encode(part));
        }
        return b.toString();
    }

    private static Path existing(Path dir) {
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p == null ? dir.toAbsolutePath().getRoot() : p;
    }
}
