package dev.blip2serve.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link HubClient} against {@link FakeHub}: a real HTTP hub and CDN on 127.0.0.1, with the embedded checkpoints. */
class HubClientTest {

    static final Path SHAPES = Path.of("src/main/resources/models/shapes-blip2");
    static final Path TINY = Path.of("src/test/resources/fixtures/tiny-blip2");
    static final RepoId REPO = new RepoId("test-org/shapes-blip2");
    static final String SHARD = "model-00001-of-00003.safetensors";

    @TempDir
    Path cache;

    FakeHub hub;
    String commit;

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub();
        commit = hub.publish(REPO.id(), SHAPES, null);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    HubSettings settings() {
        return new HubSettings(hub.endpoint(), cache, null, false, Duration.ofSeconds(10), 3, Duration.ofMillis(1),
                Duration.ofMillis(5));
    }

    Snapshot pull(HubSettings s) {
        return new HubClient(s, HubListener.NONE).pull(REPO, "main");
    }

    @Test
    void pullLaysOutTheCacheAsHuggingfaceHubDoes() throws IOException {
        Snapshot snap = pull(settings());

        Path repoDir = cache.resolve("models--test-org--shapes-blip2");
        assertThat(snap.commit()).isEqualTo(commit);
        assertThat(snap.dir()).isEqualTo(repoDir.resolve("snapshots").resolve(commit));
        assertThat(Files.readString(repoDir.resolve("refs/main"))).isEqualTo(commit);
        try (Stream<Path> src = Files.list(SHAPES)) {
            for (Path f : (Iterable<Path>) src::iterator) {
                String name = f.getFileName().toString();
                Path link = snap.dir().resolve(name);
                byte[] bytes = Files.readAllBytes(f);
                String etag = FakeHub.lfs(name) ? FakeHub.hex(FakeHub.sha("SHA-256", bytes)) : FakeHub.gitSha1(bytes);
                assertThat(Files.isSymbolicLink(link)).as(name).isTrue();
                assertThat(Files.readSymbolicLink(link).toString()).isEqualTo("../../blobs/" + etag);
                assertThat(Files.readAllBytes(link)).as(name).isEqualTo(bytes);
            }
        }
        assertThat(snap.files()).contains("config.json", SHARD, "model.safetensors.index.json");
        assertThat(snap.fetched()).isEqualTo(snap.bytes()).isPositive();
        try (Stream<Path> blobs = Files.list(repoDir.resolve("blobs"))) {
            assertThat(blobs.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".incomplete"));
        }
        assertThat(cache.resolve(".locks/models--test-org--shapes-blip2")).isDirectory();
        // LFS files come from the CDN the hub redirected to, small files from the hub itself
        assertThat(hub.log).contains("cdn GET " + SHARD).contains("hub GET /test-org/shapes-blip2/resolve/" + commit + "/config.json");
    }

    @Test
    void secondPullListsTheRevisionAndDownloadsNothing() {
        pull(settings());
        hub.log.clear();
        Snapshot again = pull(settings());
        assertThat(again.fetched()).isZero();
        assertThat(hub.log).containsExactly("hub GET /api/models/test-org/shapes-blip2/revision/main");
    }

    @Test
    void nestedFilesLinkUpTheRightNumberOfFolders() throws IOException {
        RepoId tiny = new RepoId("tiny");
        hub.publish("tiny", TINY, null);
        Snapshot snap = new HubClient(settings(), HubListener.NONE).pull(tiny, "main");
        Path png = snap.dir().resolve("images/astronaut.png");
        assertThat(Files.readSymbolicLink(png).toString()).startsWith("../../../blobs/");
        assertThat(Files.readAllBytes(png)).isEqualTo(Files.readAllBytes(TINY.resolve("images/astronaut.png")));
    }

    @Test
    void aConnectionDroppedMidFileResumesWithARange() throws IOException {
        hub.dropAfter.put(SHARD, 100_000L);
        Snapshot snap = pull(settings());
        assertThat(Files.readAllBytes(snap.dir().resolve(SHARD))).isEqualTo(Files.readAllBytes(SHAPES.resolve(SHARD)));
        // resumed from what reached the file (the bytes in flight when the server hung up may be lost)
        assertThat(hub.log).contains("cdn GET " + SHARD).anySatisfy(l -> {
            assertThat(l).startsWith("cdn GET " + SHARD + " bytes=");
            long from = Long.parseLong(l.substring(l.indexOf('=') + 1, l.length() - 1));
            assertThat(from).isBetween(1L, 100_000L);
        });
        assertThat(snap.fetched()).isEqualTo(snap.bytes());
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a read that never times out fails here
    void aStalledConnectionTimesOutAndResumesWithARange() throws IOException {
        byte[] shard = Files.readAllBytes(SHAPES.resolve(SHARD));
        long half = shard.length / 2;
        hub.stalls.put(SHARD, new FakeHub.Stall(half, 1)); // half the file, then silence on an open connection
        List<String> retries = Collections.synchronizedList(new ArrayList<>());

        Snapshot snap = new HubClient(settings().withTimeout(Duration.ofSeconds(1)), retryRecorder(retries)).pull(REPO, "main");

        assertThat(Files.readAllBytes(snap.dir().resolve(SHARD))).isEqualTo(shard);
        String sha = FakeHub.hex(FakeHub.sha("SHA-256", shard));
        assertThat(Files.readSymbolicLink(snap.dir().resolve(SHARD)).toString()).isEqualTo("../../blobs/" + sha);
        assertThat(retries).singleElement().asString()
                .startsWith("1 no data within HF_HUB_DOWNLOAD_TIMEOUT = 1 s after ").endsWith("bytes: resuming");
        assertThat(hub.log).contains("cdn GET " + SHARD).anySatisfy(l -> {
            assertThat(l).startsWith("cdn GET " + SHARD + " bytes=");
            long from = Long.parseLong(l.substring(l.indexOf('=') + 1, l.length() - 1));
            assertThat(from).isBetween(1L, half);
        });
        assertThat(snap.fetched()).isEqualTo(snap.bytes());
        assertThat(ReadTimeoutStream.pendingChecks()).as("read watchdogs left armed").isZero();
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aConnectionThatAlwaysStallsGivesUpWithOneLineAndKeepsThePartialFile() throws IOException {
        byte[] shard = Files.readAllBytes(SHAPES.resolve(SHARD));
        long half = shard.length / 2;
        String sha = FakeHub.hex(FakeHub.sha("SHA-256", shard));
        hub.stalls.put(SHARD, new FakeHub.Stall(half, Integer.MAX_VALUE)); // every answer stops at the same byte
        HubSettings impatient = settings().withTimeout(Duration.ofSeconds(1));

        assertThatThrownBy(() -> pull(impatient)).isInstanceOfSatisfying(HubException.class, e -> {
            assertThat(e.kind()).isEqualTo(HubException.Kind.UNAVAILABLE);
            assertThat(e.getMessage()).contains(SHARD, "4 times without progress", "no data within HF_HUB_DOWNLOAD_TIMEOUT",
                    "run the pull again", "raise HF_HUB_DOWNLOAD_TIMEOUT").doesNotContain("\n");
        });
        Path blobs = cache.resolve("models--test-org--shapes-blip2/blobs");
        assertThat(blobs.resolve(sha)).doesNotExist();
        assertThat(cache.resolve("models--test-org--shapes-blip2/snapshots").resolve(commit).resolve(SHARD)).doesNotExist();
        // as after a drop: what reached the disk stays for the next pull to resume
        Path partial = blobs.resolve(sha + ".incomplete");
        long kept = Files.size(partial);
        assertThat(kept).isBetween(1L, half);
        assertThat(hub.log).filteredOn(l -> l.startsWith("cdn GET " + SHARD)).hasSize(4);
        assertThat(ReadTimeoutStream.pendingChecks()).as("read watchdogs left armed").isZero();

        hub.stalls.clear();
        hub.log.clear();
        Snapshot snap = pull(impatient);
        assertThat(hub.log).contains("cdn GET " + SHARD + " bytes=" + kept + "-");
        assertThat(Files.readAllBytes(snap.dir().resolve(SHARD))).isEqualTo(shard);
        assertThat(partial).doesNotExist();
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aStalledRepositoryListingIsAnUnreachableHub() {
        HubSettings impatient = settings().withTimeout(Duration.ofSeconds(1));
        hub.stallApi.set(1);
        assertThatThrownBy(() -> pull(impatient)).isInstanceOfSatisfying(HubException.class, e -> {
            assertThat(e.kind()).isEqualTo(HubException.Kind.NOT_CACHED);
            assertThat(e.getMessage()).contains("not in the cache", "repository info broke off",
                    "no data within HF_HUB_DOWNLOAD_TIMEOUT = 1 s").doesNotContain("\n");
        });

        pull(impatient);
        hub.stallApi.set(1);
        hub.log.clear();
        assertThat(pull(impatient).commit()).as("served from the cache").isEqualTo(commit);
        assertThat(hub.log).containsExactly("hub GET /api/models/test-org/shapes-blip2/revision/main");
        assertThat(ReadTimeoutStream.pendingChecks()).as("read watchdogs left armed").isZero();
    }

    static HubListener retryRecorder(List<String> retries) {
        return new HubListener() {
            @Override
            public void progress(String file, long done, long total) {
            }

            @Override
            public void retrying(String what, int attempt, Duration wait, String reason) {
                retries.add(attempt + " " + reason);
            }
        };
    }

    @Test
    void aPartialFileLeftByAnEarlierRunIsResumed() throws IOException {
        byte[] shard = Files.readAllBytes(SHAPES.resolve(SHARD));
        String sha = FakeHub.hex(FakeHub.sha("SHA-256", shard));
        Path blobs = Files.createDirectories(cache.resolve("models--test-org--shapes-blip2/blobs"));
        Files.write(blobs.resolve(sha + ".incomplete"), java.util.Arrays.copyOf(shard, 5000));

        Snapshot snap = pull(settings());
        assertThat(hub.log).contains("cdn GET " + SHARD + " bytes=5000-");
        assertThat(Files.readAllBytes(snap.dir().resolve(SHARD))).isEqualTo(shard);
        assertThat(blobs.resolve(sha + ".incomplete")).doesNotExist();
    }

    @Test
    void aServerThatIgnoresTheRangeRestartsTheFile() throws IOException {
        byte[] shard = Files.readAllBytes(SHAPES.resolve(SHARD));
        String sha = FakeHub.hex(FakeHub.sha("SHA-256", shard));
        Path blobs = Files.createDirectories(cache.resolve("models--test-org--shapes-blip2/blobs"));
        byte[] stale = java.util.Arrays.copyOf(shard, 5000);
        stale[10] ^= 1; // had the prefix been kept, the hash check would fail
        Files.write(blobs.resolve(sha + ".incomplete"), stale);
        hub.ignoreRange.put(SHARD, true);

        Snapshot snap = pull(settings());
        assertThat(hub.log).contains("cdn GET " + SHARD + " bytes=5000-");
        assertThat(Files.readAllBytes(snap.dir().resolve(SHARD))).isEqualTo(shard);
    }

    @Test
    void aCorruptBlobIsDetectedAndNotLeftAsComplete() throws IOException {
        hub.corrupt.put(SHARD, true);
        assertThatThrownBy(() -> pull(settings())).isInstanceOfSatisfying(HubException.class, e -> {
            assertThat(e.kind()).isEqualTo(HubException.Kind.CORRUPT);
            assertThat(e.getMessage()).contains(SHARD, "SHA-256", "run the pull again").doesNotContain("\n");
        });
        Path repoDir = cache.resolve("models--test-org--shapes-blip2");
        try (Stream<Path> blobs = Files.list(repoDir.resolve("blobs"))) {
            assertThat(blobs.map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.endsWith(".incomplete"))
                    .doesNotContain(FakeHub.hex(FakeHub.sha("SHA-256", Files.readAllBytes(SHAPES.resolve(SHARD)))));
        }
        assertThat(repoDir.resolve("snapshots").resolve(commit).resolve(SHARD)).doesNotExist();

        hub.corrupt.clear();
        Snapshot snap = pull(settings());
        assertThat(Files.readAllBytes(snap.dir().resolve(SHARD))).isEqualTo(Files.readAllBytes(SHAPES.resolve(SHARD)));
    }

    @Test
    void aGatedRepositoryNeedsTheToken() {
        hub.publish("gated/model", Map.of("config.json", "{}".getBytes(), "model.safetensors", new byte[] {1, 2, 3}), "hf_secret");
        RepoId gated = new RepoId("gated/model");

        assertThatThrownBy(() -> new HubClient(settings(), HubListener.NONE).pull(gated, "main"))
                .isInstanceOfSatisfying(HubException.class, e -> {
                    assertThat(e.kind()).isEqualTo(HubException.Kind.UNAUTHORIZED);
                    assertThat(e.getMessage()).contains("401", "gated", "set HF_TOKEN");
                });
        assertThatThrownBy(() -> new HubClient(settings().withToken("hf_wrong"), HubListener.NONE).pull(gated, "main"))
                .isInstanceOfSatisfying(HubException.class, e -> {
                    assertThat(e.kind()).isEqualTo(HubException.Kind.UNAUTHORIZED);
                    assertThat(e.getMessage()).contains("403", "has no access");
                });
        hub.log.clear();
        Snapshot snap = new HubClient(settings().withToken("hf_secret"), HubListener.NONE).pull(gated, "main");
        assertThat(snap.files()).containsExactly("config.json", "model.safetensors");
        // the token goes to the hub only, never to the CDN it redirects to
        assertThat(hub.log).contains("cdn GET model.safetensors").allMatch(l -> l.startsWith("cdn") != l.endsWith("auth"));
    }

    @Test
    void missingRepositoriesRevisionsAndBadIdsAreOneLineErrors() {
        assertThatThrownBy(() -> new HubClient(settings().withToken("hf_any"), HubListener.NONE).pull(new RepoId("no/such"), "main"))
                .isInstanceOfSatisfying(HubException.class, e -> {
                    assertThat(e.kind()).isEqualTo(HubException.Kind.NOT_FOUND);
                    assertThat(e.getMessage()).contains("404", "no such repository");
                });
        assertThatThrownBy(() -> new HubClient(settings(), HubListener.NONE).pull(new RepoId("no/such"), "main"))
                .hasMessageContaining("401").hasMessageContaining("does not exist").hasMessageContaining("HF_TOKEN");
        assertThatThrownBy(() -> new HubClient(settings(), HubListener.NONE).pull(REPO, "v9"))
                .isInstanceOfSatisfying(HubException.class, e -> {
                    assertThat(e.kind()).isEqualTo(HubException.Kind.NOT_FOUND);
                    assertThat(e.getMessage()).contains("test-org/shapes-blip2 at v9", "no such revision");
                });
        assertThatThrownBy(() -> new RepoId("../etc")).isInstanceOf(HubException.class).hasMessageContaining("not a hub repository id");
        assertThatThrownBy(() -> new RepoId("a/b/c")).isInstanceOf(HubException.class);
        assertThatThrownBy(() -> new RepoId("a--b/c")).isInstanceOf(HubException.class);
        assertThatThrownBy(() -> new HubClient(settings(), HubListener.NONE).pull(REPO, "../../x"))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.BAD_INPUT));
    }

    @Test
    void transientFailuresAreRetriedWithBackoff() {
        List<String> retries = Collections.synchronizedList(new ArrayList<>());
        HubListener listener = retryRecorder(retries);
        hub.failStatus = 503;
        hub.failHubRequests.set(2);
        new HubClient(settings(), listener).pull(REPO, "main");
        assertThat(retries).containsExactly("1 HTTP 503", "2 HTTP 503");

        retries.clear();
        hub.failStatus = 429;
        hub.failHubRequests.set(1);
        new HubClient(settings(), listener).pull(REPO, "main");
        assertThat(retries).containsExactly("1 HTTP 429");

        hub.failStatus = 502;
        hub.failHubRequests.set(100);
        assertThatThrownBy(() -> new HubClient(settings(), listener).pull(REPO, "main"))
                .isInstanceOfSatisfying(HubException.class, e -> {
                    assertThat(e.kind()).isEqualTo(HubException.Kind.UNAVAILABLE);
                    assertThat(e.getMessage()).contains("HTTP 502");
                });
    }

    @Test
    void offlineModeServesTheCacheAndSaysWhatIsMissing() throws IOException {
        assertThatThrownBy(() -> pull(settings().withOffline(true))).isInstanceOfSatisfying(HubException.class, e -> {
            assertThat(e.kind()).isEqualTo(HubException.Kind.NOT_CACHED);
            assertThat(e.getMessage()).contains("not in the cache", "HF_HUB_OFFLINE");
        });
        assertThat(hub.log).isEmpty();

        Snapshot online = pull(settings());
        hub.log.clear();
        Snapshot offline = pull(settings().withOffline(true));
        assertThat(hub.log).isEmpty();
        assertThat(offline.dir()).isEqualTo(online.dir());
        assertThat(offline.files()).isEqualTo(online.files());
        assertThat(new HubClient(settings().withOffline(true), HubListener.NONE).pull(REPO, commit).commit()).isEqualTo(commit);
    }

    @Test
    void anUnreachableHubFallsBackToTheCache() throws IOException {
        pull(settings());
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        HubSettings down = settings().withEndpoint(URI.create("http://127.0.0.1:" + closedPort));
        assertThat(pull(down).commit()).isEqualTo(commit);
        assertThatThrownBy(() -> new HubClient(down, HubListener.NONE).pull(new RepoId("other/model"), "main"))
                .isInstanceOfSatisfying(HubException.class, e -> {
                    assertThat(e.kind()).isEqualTo(HubException.Kind.NOT_CACHED);
                    assertThat(e.getMessage()).contains("cannot reach the hub");
                });
    }

    @Test
    void notEnoughDiskSpaceIsSaidBeforeDownloading() throws IOException {
        HubClient client = new HubClient(settings(), HubListener.NONE, dir -> 1000);
        assertThatThrownBy(() -> client.pull(REPO, "main")).isInstanceOfSatisfying(HubException.class, e -> {
            assertThat(e.kind()).isEqualTo(HubException.Kind.DISK_FULL);
            assertThat(e.getMessage()).contains("1000 free", "HF_HUB_CACHE");
        });
        try (Stream<Path> all = Files.walk(cache)) {
            assertThat(all.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.endsWith(".incomplete") || n.endsWith(".safetensors"));
        }
    }

    @Test
    void settingsFollowTheHfEnvironmentVariables(@TempDir Path home) throws IOException {
        HubSettings defaults = HubSettings.fromEnvironment(Map.of(), home);
        assertThat(defaults.endpoint()).isEqualTo(URI.create("https://huggingface.co"));
        assertThat(defaults.cacheDir()).isEqualTo(home.resolve(".cache/huggingface/hub"));
        assertThat(defaults.token()).isNull();
        assertThat(defaults.offline()).isFalse();

        Path hfHome = Files.createDirectories(home.resolve("hf"));
        Files.writeString(hfHome.resolve("token"), "hf_from_file\n");
        HubSettings fromHome = HubSettings.fromEnvironment(Map.of("HF_HOME", hfHome.toString(), "HF_HUB_OFFLINE", "yes",
                "HF_ENDPOINT", "http://mirror.local/"), home);
        assertThat(fromHome.cacheDir()).isEqualTo(hfHome.resolve("hub"));
        assertThat(fromHome.token()).isEqualTo("hf_from_file");
        assertThat(fromHome.offline()).isTrue();
        assertThat(fromHome.endpoint()).isEqualTo(URI.create("http://mirror.local"));
        assertThat(fromHome.toString()).doesNotContain("hf_from_file");

        HubSettings explicit = HubSettings.fromEnvironment(Map.of("HF_HOME", hfHome.toString(), "HF_HUB_CACHE", "/c",
                "HF_TOKEN", "hf_env", "HF_HUB_OFFLINE", "0", "XDG_CACHE_HOME", "/x"), home);
        assertThat(explicit.cacheDir()).isEqualTo(Path.of("/c"));
        assertThat(explicit.token()).isEqualTo("hf_env");
        assertThat(explicit.offline()).isFalse();
        assertThat(HubSettings.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x"), home).cacheDir())
                .isEqualTo(Path.of("/x/huggingface/hub"));
        assertThat(defaults.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(HubSettings.fromEnvironment(Map.of("HF_HUB_DOWNLOAD_TIMEOUT", "2.5"), home).timeout())
                .isEqualTo(Duration.ofMillis(2500));
        for (String bad : List.of("0", "-1", "soon", "NaN")) {
            assertThatThrownBy(() -> HubSettings.fromEnvironment(Map.of("HF_HUB_DOWNLOAD_TIMEOUT", bad), home))
                    .isInstanceOfSatisfying(HubException.class, e -> {
                        assertThat(e.kind()).isEqualTo(HubException.Kind.BAD_INPUT);
                        assertThat(e.getMessage()).contains("HF_HUB_DOWNLOAD_TIMEOUT", "positive", bad);
                    });
        }
    }
}
