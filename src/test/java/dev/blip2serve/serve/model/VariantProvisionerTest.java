package dev.blip2serve.serve.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.repository.Manifest;
import dev.blip2serve.repository.ManifestIo;
import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.TestProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Background provisioning with the real quantize pipeline, eval and loader on the bundled checkpoint (cheap
 * presets, 4 calibration images, 4 eval items): a restart reuses finished variants and discards half-built ones, a
 * failing preset is FAILED with its reason while the others serve, and shutting down stops a running build cleanly.
 */
class VariantProvisionerTest {

    static final Path CHECKPOINT = Path.of("src/main/resources/models/shapes-blip2");
    static final Path CALIBRATION = Path.of("data/shapes-blip2/calib/calib.json");
    static final Path EVAL = Path.of("data/shapes-blip2/eval/eval.json");
    static final String MODEL = EmbeddedCheckpoint.MODEL;
    static final String DATASET = "shapes-blip2/eval[:4]";

    @TempDir
    Path repository;

    /** One service's worth of parts; a restart makes new ones. */
    private record Service(ModelRegistry registry, VariantLoader loader, VariantProvisioner provisioner) {
        void close() throws InterruptedException {
            provisioner.destroy();
            registry.destroy();
        }
    }

    private Service service;

    @AfterEach
    void close() throws InterruptedException {
        if (service != null) {
            service.close();
        }
    }

    private Service start() {
        ServeProperties properties = TestProperties.defaults(repository, MODEL, "w4a16-rtn", List.of());
        ModelRegistry registry = new ModelRegistry(properties, new SimpleMeterRegistry());
        VariantProvisioner provisioner = new VariantProvisioner(properties, registry);
        VariantLoader loader = new VariantLoader(properties, registry, new RepositoryBootstrap(properties, registry), provisioner);
        service = new Service(registry, loader, provisioner);
        return service;
    }

    private static CompletableFuture<Void> provision(Service s, Path calibration, String... presets) {
        return s.provisioner().submit(new VariantProvisioner.Job(MODEL, CHECKPOINT, List.of(), List.of(presets),
                new VariantProvisioner.Datasets(calibration, 4, "shapes-blip2/eval", EVAL, 4), s.loader()::loadLater, () -> {
                }));
    }

    /** Waits (bounded) until the loader has opened every built variant. */
    private static void awaitSettled(Service s, String... variants) throws InterruptedException {
        for (int i = 0; i < 2400; i++) {
            if (Stream.of(variants).allMatch(n -> s.registry().find(MODEL, n).map(v -> v.state() == VariantState.READY
                    || v.state() == VariantState.FAILED).orElse(false))) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not settled: " + s.registry().all().stream().map(v -> v.key() + "=" + v.status()).toList());
    }

    @Test
    void restartReusesFinishedVariantsAndDiscardsHalfBuiltOnes() throws Exception {
        Service first = start();
        provision(first, CALIBRATION, "w4a16-rtn").get(10, TimeUnit.MINUTES);
        awaitSettled(first, "w4a16-rtn");
        Path built = repository.resolve(MODEL).resolve("w4a16-rtn");
        Manifest before = ManifestIo.read(built);
        FileTime decoderTime = Files.getLastModifiedTime(built.resolve("decoder.onnx"));
        assertThat(before.quality()).containsKey(DATASET);
        first.close();

        // What a build cut short leaves: a hidden folder, here even with a manifest, as after a crash during its eval.
        Path halfBuilt = Files.createDirectories(repository.resolve(MODEL).resolve(".building-w3a16-rtn-1234"));
        Files.copy(built.resolve(Manifest.FILE_NAME), halfBuilt.resolve(Manifest.FILE_NAME));
        Files.writeString(halfBuilt.resolve("decoder.onnx"), "truncated");

        Service second = start();
        second.loader().loadAll();
        assertThat(second.registry().variantNames(MODEL)).containsExactly("w4a16-rtn"); // the hidden folder is not served
        CompletableFuture<Void> job = provision(second, CALIBRATION, "w4a16-rtn", "w3a16-rtn");
        assertThat(second.registry().variantNames(MODEL)).containsExactly("w3a16-rtn", "w4a16-rtn");
        job.get(10, TimeUnit.MINUTES);
        awaitSettled(second, "w4a16-rtn", "w3a16-rtn");

        assertThat(halfBuilt).doesNotExist();
        assertThat(ManifestIo.read(built).createdAt()).isEqualTo(before.createdAt()); // not rebuilt
        assertThat(Files.getLastModifiedTime(built.resolve("decoder.onnx"))).isEqualTo(decoderTime);
        Variant w3 = second.registry().find(MODEL, "w3a16-rtn").orElseThrow();
        assertThat(w3.state()).as(String.valueOf(w3.status())).isEqualTo(VariantState.READY);
        assertThat(w3.status().manifest().quality().get(DATASET)).containsKeys("cider_d", "bleu_4", "rouge_l");
        assertThat(folders()).containsExactlyInAnyOrder("w4a16-rtn", "w3a16-rtn");
    }

    @Test
    void aFailingPresetIsReportedWhileTheOthersServe() throws Exception {
        Path brokenCalibration = Files.writeString(repository.resolve("calib.json"), "{ not json");
        Service s = start();
        CompletableFuture<Void> job = provision(s, brokenCalibration, "w8a8", "w5a5", "w4a16-rtn");
        Variant unknown = s.registry().find(MODEL, "w5a5").orElseThrow();
        assertThat(unknown.state()).isEqualTo(VariantState.FAILED);
        assertThat(unknown.status().reason()).contains("unknown preset 'w5a5'");
        assertThat(s.registry().find(MODEL, "w4a16-rtn").orElseThrow().state()).isIn(VariantState.BUILDING, VariantState.LOADING,
                VariantState.READY);
        job.get(10, TimeUnit.MINUTES);
        awaitSettled(s, "w8a8", "w4a16-rtn");

        Variant w8 = s.registry().find(MODEL, "w8a8").orElseThrow();
        assertThat(w8.state()).isEqualTo(VariantState.FAILED);
        assertThat(w8.status().reason()).isEqualTo("building in the background failed: the calibration set/calib.json: not valid "
                + "JSON: Unexpected character ('n' (code 110)): was expecting double-quote to start property name");
        Variant rtn = s.registry().find(MODEL, "w4a16-rtn").orElseThrow();
        assertThat(rtn.state()).as(String.valueOf(rtn.status())).isEqualTo(VariantState.READY);
        assertThat(rtn.status().model()).isNotNull();
        assertThat(folders()).containsExactly("w4a16-rtn"); // nothing of the failed build is left
    }

    @Test
    void shuttingDownStopsARunningBuildAndLeavesNothingHalfBuilt() throws Exception {
        Service s = start();
        CompletableFuture<Void> job = provision(s, CALIBRATION, "w4a16", "w4a16-rtn");
        Variant awq = s.registry().find(MODEL, "w4a16").orElseThrow();
        for (int i = 0; i < 3000 && !String.valueOf(awq.status().detail()).contains("quantizing"); i++) {
            Thread.sleep(20);
        }
        assertThat(awq.status().detail()).contains("quantizing");
        s.provisioner().destroy();
        job.get(2, TimeUnit.MINUTES);
        assertThat(awq.state()).isEqualTo(VariantState.FAILED);
        assertThat(awq.status().reason()).isEqualTo("service shutting down before it was built");
        assertThat(s.registry().find(MODEL, "w4a16-rtn").orElseThrow().status().reason())
                .isEqualTo("service shutting down before it was built");
        assertThat(folders()).isEmpty();
    }

    @Test
    void buildThreadsAndTheThreadsTheyStartRunAtTheConfiguredNiceValue() throws Exception {
        Integer own = LowPriorityThreads.currentNice();
        org.junit.jupiter.api.Assumptions.assumeTrue(own != null, "Linux only (/proc/thread-self)");
        var pool = LowPriorityThreads.pool("test-build", 1, Math.min(19, own + 7));
        try {
            Integer[] seen = new Integer[2];
            pool.submit(() -> {
                seen[0] = LowPriorityThreads.currentNice();
                Thread child = Thread.ofPlatform().start(() -> seen[1] = LowPriorityThreads.currentNice());
                child.join();
                return null;
            }).get(1, TimeUnit.MINUTES);
            assertThat(seen).containsExactly(Math.min(19, own + 7), Math.min(19, own + 7));
            assertThat(LowPriorityThreads.currentNice()).isEqualTo(own); // the caller's is untouched
        } finally {
            pool.shutdownNow();
        }
    }

    private List<String> folders() throws IOException {
        Path model = repository.resolve(MODEL);
        if (!Files.isDirectory(model)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(model)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }
}
