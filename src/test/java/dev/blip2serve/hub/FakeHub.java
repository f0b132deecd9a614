package dev.blip2serve.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A hub on 127.0.0.1 that answers as huggingface.co does: {@code /api/models/{repo}/revision/{rev}}, {@code HEAD} and
 * {@code GET} of {@code /{repo}/resolve/{rev}/{file}} with {@code X-Repo-Commit} and {@code ETag}; LFS files
 * (safetensors, onnx, external data) are redirected to a second server, the "CDN", with {@code X-Linked-Etag} and
 * {@code X-Linked-Size} on the 302. The CDN honours {@code Range}. Faults are switched on per test: 5xx/429 answers,
 * a connection dropped mid-file, a stalled one (part of the file, then silence with the connection open), an
 * ignored {@code Range}, a corrupted blob.
 */
final class FakeHub implements AutoCloseable {

    record Repo(String commit, Map<String, byte[]> files, String requiredToken) {
    }

    private final HttpServer hub;
    private final HttpServer cdn;
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    final List<String> log = Collections.synchronizedList(new ArrayList<>());

    // faults
    final AtomicInteger failHubRequests = new AtomicInteger();
    volatile int failStatus = 503;
    final Map<String, Long> dropAfter = new ConcurrentHashMap<>();
    final Map<String, Boolean> ignoreRange = new ConcurrentHashMap<>();
    final Map<String, Boolean> corrupt = new ConcurrentHashMap<>();
    /** Per file: the byte at which the CDN stops sending and holds the connection open, and for how many answers. */
    final Map<String, Stall> stalls = new ConcurrentHashMap<>();
    /** How many answers of the revision API send half their JSON, then nothing, with the connection open. */
    final AtomicInteger stallApi = new AtomicInteger();
    /** Released on close: the stalled answers' handlers wait on it, never closing their connections before. */
    private final CountDownLatch closing = new CountDownLatch(1);

    /** Answers of {@code file} send bytes up to offset {@code at}, then nothing; {@code times} answers do it. */
    record Stall(long at, int times) {
    }

    FakeHub() throws IOException {
        InetSocketAddress local = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        hub = HttpServer.create(local, 0);
        cdn = HttpServer.create(local, 0);
        hub.createContext("/", this::hub);
        cdn.createContext("/", this::cdn);
        hub.setExecutor(Executors.newCachedThreadPool());
        cdn.setExecutor(Executors.newCachedThreadPool()); // (both) a stalled answer holds its thread until close
        hub.start();
        cdn.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    /** Publishes every file under {@code dir} as repository {@code id}; returns its commit. */
    String publish(String id, Path dir, String requiredToken) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
                files.put(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        return publish(id, files, requiredToken);
    }

    String publish(String id, Map<String, byte[]> files, String requiredToken) {
        String commit = hex(sha("SHA-1", (id + files.keySet() + files.size() + System.nanoTime()).getBytes(StandardCharsets.UTF_8)));
        repos.put(id, new Repo(commit, Map.copyOf(files), requiredToken));
        for (byte[] b : files.values()) {
            blobs.put(hex(sha("SHA-256", b)), b);
        }
        return commit;
    }

    static boolean lfs(String file) {
        return file.endsWith(".safetensors") || file.endsWith(".onnx") || file.endsWith(".data");
    }

    static String gitSha1(byte[] b) {
        byte[] header = ("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[header.length + b.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(b, 0, all, header.length, b.length);
        return hex(sha("SHA-1", all));
    }

    private void hub(HttpExchange x) throws IOException {
        try (x) {
            String path = URLDecoder.decode(x.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
            String auth = x.getRequestHeaders().getFirst("Authorization");
            log.add("hub " + x.getRequestMethod() + " " + path + (auth != null ? " auth" : ""));
            if (failHubRequests.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                if (failStatus == 429) {
                    x.getResponseHeaders().set("Retry-After", "0");
                }
                send(x, failStatus, new byte[0]);
                return;
            }
            if (path.startsWith("/api/models/")) {
                api(x, path.substring("/api/models/".length()), auth);
                return;
            }
            int at = path.indexOf("/resolve/");
            if (at < 0) {
                send(x, 404, new byte[0]);
                return;
            }
            String id = path.substring(1, at);
            String rest = path.substring(at + "/resolve/".length());
            int slash = rest.indexOf('/');
            Repo repo = access(x, id, auth);
            if (repo == null) {
                return;
            }
            String rev = rest.substring(0, slash);
            String file = rest.substring(slash + 1);
            if (!rev.equals("main") && !rev.equals(repo.commit())) {
                error(x, 404, "RevisionNotFound");
                return;
            }
            byte[] body = repo.files().get(file);
            if (body == null) {
                error(x, 404, "EntryNotFound");
                return;
            }
            x.getResponseHeaders().set("X-Repo-Commit", repo.commit());
            if (lfs(file)) {
                String sha = hex(sha("SHA-256", body));
                x.getResponseHeaders().set("X-Linked-Etag", "\"" + sha + "\"");
                x.getResponseHeaders().set("X-Linked-Size", String.valueOf(body.length));
                x.getResponseHeaders().set("ETag", "\"" + gitSha1(("pointer " + sha).getBytes(StandardCharsets.UTF_8)) + "\"");
                x.getResponseHeaders().set("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/blobs/" + sha + "?file=" + file);
                send(x, 302, new byte[0]);
                return;
            }
            x.getResponseHeaders().set("ETag", "\"" + gitSha1(body) + "\"");
            if (x.getRequestMethod().equals("HEAD")) {
                x.getResponseHeaders().set("Content-Length", String.valueOf(body.length));
                x.sendResponseHeaders(200, -1);
                return;
            }
            send(x, 200, body);
        }
    }

    private void api(HttpExchange x, String rest, String auth) throws IOException {
        int at = rest.indexOf("/revision/");
        String id = rest.substring(0, at);
        String rev = rest.substring(at + "/revision/".length());
        Repo repo = access(x, id, auth);
        if (repo == null) {
            return;
        }
        if (!rev.equals("main") && !rev.equals(repo.commit())) {
            error(x, 404, "RevisionNotFound");
            return;
        }
        StringBuilder json = new StringBuilder("{\"id\":\"" + id + "\",\"sha\":\"" + repo.commit() + "\",\"siblings\":[");
        String sep = "";
        for (String f : repo.files().keySet()) {
            json.append(sep).append("{\"rfilename\":\"").append(f).append("\"}");
            sep = ",";
        }
        json.append("]}");
        x.getResponseHeaders().set("Content-Type", "application/json");
        byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
        if (stallApi.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body, 0, body.length / 2);
            x.getResponseBody().flush();
            awaitClose();
        }
        send(x, 200, body);
    }

    /** The repository if the caller may see it; otherwise the hub's answer is sent and null returned. */
    private Repo access(HttpExchange x, String id, String auth) throws IOException {
        Repo repo = repos.get(id);
        if (repo == null) {
            error(x, auth == null ? 401 : 404, "RepoNotFound"); // the hub hides private repositories from strangers
            return null;
        }
        if (repo.requiredToken() != null && !("Bearer " + repo.requiredToken()).equals(auth)) {
            error(x, auth == null ? 401 : 403, "GatedRepo");
            return null;
        }
        return repo;
    }

    private void cdn(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            String query = x.getRequestURI().getQuery();
            String file = query == null ? "" : query.substring("file=".length());
            String range = x.getRequestHeaders().getFirst("Range");
            log.add("cdn " + x.getRequestMethod() + " " + file + (range != null ? " " + range : "")
                    + (x.getRequestHeaders().getFirst("Authorization") != null ? " auth" : ""));
            byte[] body = blobs.get(path.substring("/blobs/".length()));
            if (body == null) {
                send(x, 404, new byte[0]);
                return;
            }
            if (corrupt.getOrDefault(file, false)) {
                body = body.clone();
                body[body.length / 2] ^= 0x5a;
            }
            long from = 0;
            if (range != null && ignoreRange.remove(file) == null) {
                from = Long.parseLong(range.substring("bytes=".length(), range.length() - 1));
            }
            int status = 200;
            if (from > 0) {
                status = 206;
                x.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
            }
            int len = (int) (body.length - from);
            Long drop = dropAfter.remove(file);
            Stall stall = takeStall(file);
            x.sendResponseHeaders(status, len);
            OutputStream out = x.getResponseBody();
            if (stall != null) {
                out.write(body, (int) from, (int) Math.max(0, Math.min(len, stall.at() - from)));
                out.flush();
                awaitClose(); // the connection stays open and silent: only the client's read timeout ends it
                return;
            }
            if (drop != null && drop < len) {
                out.write(body, (int) from, drop.intValue());
                out.flush();
                throw new IOException("dropped on purpose after " + drop + " bytes");
            }
            out.write(body, (int) from, len);
        }
    }

    /** The stall for this answer of {@code file}, if one is left; counts it. */
    private Stall takeStall(String file) {
        Stall[] taken = new Stall[1];
        stalls.computeIfPresent(file, (f, st) -> {
            taken[0] = st;
            return st.times() > 1 ? new Stall(st.at(), st.times() - 1) : null;
        });
        return taken[0];
    }

    private void awaitClose() throws IOException {
        try {
            closing.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new IOException("stalled answer ended by the hub's close");
    }

    private static void error(HttpExchange x, int status, String code) throws IOException {
        x.getResponseHeaders().set("X-Error-Code", code);
        x.getResponseHeaders().set("X-Error-Message", code.replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase());
        send(x, status, new byte[0]);
    }

    private static void send(HttpExchange x, int status, byte[] body) throws IOException {
        boolean empty = body.length == 0 || x.getRequestMethod().equals("HEAD");
        x.sendResponseHeaders(status, empty ? -1 : body.length);
        if (!empty) {
            x.getResponseBody().write(body);
        }
    }

    static byte[] sha(String algorithm, byte[] b) {
        try {
            return MessageDigest.getInstance(algorithm).digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Override
    public void close() {
        closing.countDown();
        hub.stop(0);
        cdn.stop(0);
        ((java.util.concurrent.ExecutorService) hub.getExecutor()).shutdownNow();
        ((java.util.concurrent.ExecutorService) cdn.getExecutor()).shutdownNow();
    }
}
