package dev.blip2serve.hub;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads one blob into {@code blobs/<etag>.incomplete}, resuming what an earlier attempt left there with a
 * {@code Range} request (a 200 instead of a 206 means the server ignored it: the file starts over), retrying a
 * dropped or stalled connection (no data within {@code HF_HUB_DOWNLOAD_TIMEOUT}, see {@link ReadTimeoutStream}) from
 * where it stopped, and renaming it to {@code blobs/<etag>} only once its size and its hash
 * (SHA-256 for LFS files, git's blob SHA-1 for the others) equal what the hub announced. A mismatch deletes the partial
 * file: its bytes cannot be trusted for a resume either.
 */
final class BlobDownloader {

    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-\\d+/(\\d+|\\*)");
    private static final int CHUNK = 1 << 20;

    private final HubHttp http;
    private final HubListener listener;
    private final FreeSpace freeSpace;

    /** Usable bytes on the file store holding a path (a seam for the disk-full test). */
    @FunctionalInterface
    interface FreeSpace {
        long usable(Path dir) throws IOException;
    }

    BlobDownloader(HubHttp http, HubListener listener, FreeSpace freeSpace) {
        this.http = http;
        this.listener = listener;
        this.freeSpace = freeSpace;
    }

    /** Downloads {@code file} to {@code blob} (verified); returns the bytes fetched over the network. */
    long download(String file, FileMetadata meta, Path blob, Path partial) throws IOException {
        Files.createDirectories(blob.getParent());
        long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
        if (meta.size() >= 0 && have > meta.size()) {
            have = 0; // longer than the file: not a prefix of it
        }
        checkSpace(file, meta, blob.getParent(), have);
        Hasher hasher = new Hasher(meta);
        long fetched = 0;
        try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            out.truncate(have);
            hasher.prefix(partial, have);
            out.position(have);
            listener.progress(file, have, meta.size()); // where this download starts, for its rate
            int failures = 0;
            while (meta.size() < 0 || have < meta.size()) {
                HttpResponse<InputStream> r = http.download(meta.location(), have, file);
                long before = have;
                IOException broke = null;
                try (InputStream in = r.body()) {
                    if (startOf(r, have) != have) {
                        out.truncate(0);
                        out.position(0);
                        hasher.reset();
                        have = 0; // the server sent the whole file: start over
                        before = 0;
                    }
                    try {
                        have = copy(in, out, hasher, file, have, meta.size());
                    } catch (IOException e) {
                        if (isDiskFull(e)) {
                            throw diskFull(file, blob.getParent(), e);
                        }
                        broke = e; // dropped, reset, or no data within the read timeout
                    }
                }
                if (broke != null) {
                    have = out.position(); // what reached the file before the break (and the hash, in step)
                    fetched += have - before;
                    failures = have > before ? 1 : failures + 1; // progress resets the count, as huggingface_hub does
                    boolean stalled = broke instanceof HttpTimeoutException;
                    if (failures > http.retries()) {
                        throw new HubException(HubException.Kind.UNAVAILABLE, file + ": the download broke off "
                                + failures + " times without progress (" + broke.getMessage() + "); run the pull "
                                + "again: it resumes from " + have + " bytes" + (stalled
                                ? "; on a slow link raise HF_HUB_DOWNLOAD_TIMEOUT (seconds)" : ""), broke);
                    }
                    http.pause(file, failures, (stalled ? broke.getMessage() : "connection lost") + " after " + have
                            + " bytes: resuming", null);
                    continue;
                }
                fetched += have - before;
                if (meta.size() < 0) {
                    break; // unknown size: the first complete answer is the file
                }
                if (have < meta.size() && have == before) {
                    failures++;
                    if (failures > http.retries()) {
                        throw new HubException(HubException.Kind.UNAVAILABLE, file + ": the server keeps ending the file"
                                + " at " + have + " of " + meta.size() + " bytes");
                    }
                }
            }
            out.force(true);
        }
        verify(file, meta, partial, have, hasher);
        Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return fetched;
    }

    private void verify(String file, FileMetadata meta, Path partial, long have, Hasher hasher) throws IOException {
        if (meta.size() >= 0 && have != meta.size()) {
            Files.deleteIfExists(partial);
            throw new HubException(HubException.Kind.CORRUPT, file + ": got " + have + " bytes, the hub says "
                    + meta.size() + "; the partial file was removed, run the pull again");
        }
        String actual = hasher.hex();
        if (actual != null && !actual.equals(meta.etag())) {
            Files.deleteIfExists(partial);
            throw new HubException(HubException.Kind.CORRUPT, file + ": the downloaded bytes hash to " + actual
                    + ", the hub's etag is " + meta.etag() + " (" + (meta.lfs() ? "SHA-256" : "git SHA-1")
                    + "); the corrupt download was removed, run the pull again");
        }
    }

    /** Where the answer's bytes start: {@code offset} for a 206 of our range, 0 for a 200 (the whole file). */
    private static long startOf(HttpResponse<InputStream> r, long offset) throws IOException {
        if (r.statusCode() == 206) {
            Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
            if (m.matches() && Long.parseLong(m.group(1)) == offset) {
                return offset;
            }
            r.body().close();
            throw new HubException(HubException.Kind.UNAVAILABLE, r.uri() + ": a 206 answer whose Content-Range '"
                    + r.headers().firstValue("Content-Range").orElse("") + "' is not the range asked for (from " + offset + ")");
        }
        return 0;
    }

    private long copy(InputStream in, FileChannel out, Hasher hasher, String file, long have, long total) throws IOException {
        byte[] buf = new byte[CHUNK];
        long reported = -1;
        for (int n; (n = in.read(buf)) > 0; ) {
            if (total >= 0 && have + n > total) {
                throw new HubException(HubException.Kind.CORRUPT, file + ": the server sent more than the "
                        + total + " bytes the hub announced");
            }
            ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
            while (b.hasRemaining()) {
                out.write(b);
            }
            hasher.update(buf, n);
            have += n;
            if (have - reported >= CHUNK || have == total) {
                listener.progress(file, have, total);
                reported = have;
            }
        }
        return have;
    }

    private void checkSpace(String file, FileMetadata meta, Path dir, long have) throws IOException {
        long need = meta.size() - have;
        long free = freeSpace.usable(dir);
        if (meta.size() >= 0 && need > free) {
            throw new HubException(HubException.Kind.DISK_FULL, file + ": needs " + need + " more bytes, "
                    + free + " free in " + dir + " (set HF_HUB_CACHE to a larger disk)");
        }
    }

    private static boolean isDiskFull(IOException e) {
        return e.getMessage() != null && e.getMessage().contains("No space left on device");
    }

    private static HubException diskFull(String file, Path dir, IOException e) {
        return new HubException(HubException.Kind.DISK_FULL, file + ": disk full in " + dir + " (" + e.getMessage()
                + "); free space and run the pull again: it resumes", e);
    }

    /** The etag's hash over the bytes as they arrive; none for etags that are neither SHA-256 nor SHA-1. */
    private static final class Hasher {
        private final FileMetadata meta;
        private MessageDigest md;

        Hasher(FileMetadata meta) {
            this.meta = meta;
            reset();
        }

        void reset() {
            try {
                md = meta.lfs() ? MessageDigest.getInstance("SHA-256") : meta.git() ? MessageDigest.getInstance("SHA-1") : null;
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK always has SHA-256 and SHA-1", e);
            }
            if (md != null && meta.git()) {
                md.update(("blob " + meta.size() + "\0").getBytes(StandardCharsets.US_ASCII)); // git's object header
            }
        }

        /** Hashes the {@code bytes} already in the partial file. */
        void prefix(Path partial, long bytes) throws IOException {
            if (md == null || bytes == 0) {
                return;
            }
            try (InputStream in = Files.newInputStream(partial)) {
                byte[] buf = new byte[CHUNK];
                long left = bytes;
                for (int n; left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0; left -= n) {
                    md.update(buf, 0, n);
                }
            }
        }

        void update(byte[] buf, int n) {
            if (md != null) {
                md.update(buf, 0, n);
            }
        }

        String hex() {
            return md == null ? null : HexFormat.of().formatHex(md.digest());
        }
    }
}
