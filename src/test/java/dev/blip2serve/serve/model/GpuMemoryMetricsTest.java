package dev.blip2serve.serve.model;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.blip2serve.gpu.FakeNvml;
import dev.blip2serve.gpu.Nvml;
import dev.blip2serve.serve.TestProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The GPU memory gauges from NVML ({@link FakeNvml} behind the real binding): present with NVML's values when CUDA is
 * configured, absent (one INFO line saying why) when it is not or NVML does not answer; the per-variant GPU growth.
 */
class GpuMemoryMetricsTest {

    private static final long GIB = 1L << 30;
    private static final long SELF = ProcessHandle.current().pid();

    private final FakeNvml fake = new FakeNvml();
    private final MeterRegistry meters = new SimpleMeterRegistry();
    private final AtomicLong selfBytes = new AtomicLong(2 * GIB);
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private GpuMemoryMetrics gpu;

    @BeforeEach
    void setUp() {
        fake.total = 80 * GIB;
        fake.driverReserved = GIB / 2;
        fake.processes = () -> List.of(new FakeNvml.Proc(SELF, selfBytes::get, -1, -1), FakeNvml.Proc.of(4711, 10 * GIB));
        log.start();
        ((Logger) LoggerFactory.getLogger(GpuMemoryMetrics.class)).addAppender(log);
    }

    @AfterEach
    void tearDown() {
        ((Logger) LoggerFactory.getLogger(GpuMemoryMetrics.class)).detachAppender(log);
        if (gpu != null) {
            gpu.destroy();
        }
        fake.close();
    }

    private GpuMemoryMetrics metrics(boolean cuda, GpuProperties.Mode mode) {
        gpu = new GpuMemoryMetrics(cuda, 0, new GpuProperties(mode, "fake"), meters, () -> Nvml.open(fake.lookup()));
        return gpu;
    }

    @Test
    void withCudaTheGaugesReadNvmlOnEveryScrape() {
        metrics(true, GpuProperties.Mode.AUTO);
        assertThat(gpu.active()).isTrue();
        assertThat(gauge("blip2.gpu.memory.total")).isEqualTo(80.0 * GIB);
        assertThat(gauge("blip2.gpu.memory.used")).isEqualTo(GIB / 2 + 2 * GIB + 10.0 * GIB);
        assertThat(gauge("blip2.gpu.process.memory")).isEqualTo(2.0 * GIB);
        selfBytes.set(5 * GIB);
        assertThat(gauge("blip2.gpu.process.memory")).isEqualTo(5.0 * GIB);
        assertThat(gauge("blip2.gpu.memory.used")).isEqualTo(GIB / 2 + 5 * GIB + 10.0 * GIB);
        for (String name : List.of("blip2.gpu.memory.total", "blip2.gpu.memory.used", "blip2.gpu.process.memory")) {
            Gauge g = meters.find(name).gauge();
            assertThat(g.getId().getTags()).as(name + ": no tags (one process, one GPU)").isEmpty();
            assertThat(g.getId().getBaseUnit()).isEqualTo("bytes");
        }
        assertThat(infoLines()).singleElement().asString().contains("device 0 (Fake H100 0)")
                .contains("nvmlDeviceGetComputeRunningProcesses_v3");
    }

    @Test
    void perVariantGpuGrowthIsRegisteredWithTheVariantsOtherGauges() {
        metrics(true, GpuProperties.Mode.AUTO);
        ModelRegistry registry = new ModelRegistry(TestProperties.defaults(Path.of("repo"), "shapes-blip2", "fp16", List.of()),
                meters, gpu);
        Variant fp16 = registry.register(new VariantKey("shapes-blip2", "fp16"), Path.of("repo/shapes-blip2/fp16"));
        Gauge delta = meters.find("blip2.variant.load.gpu.delta").tags("model", "shapes-blip2", "precision", "fp16").gauge();
        assertThat(delta).isNotNull();
        assertThat(delta.value()).as("not measured yet").isNaN();

        // What VariantLoader does around opening and warming up a variant.
        GpuMemoryMetrics.Snapshot before = registry.gpu().snapshot();
        selfBytes.addAndGet(3 * GIB);
        GpuMemoryMetrics.Snapshot after = registry.gpu().snapshot();
        fp16.loadGpuDeltaBytes(GpuMemoryMetrics.loadDelta(before, after));
        assertThat(delta.value()).isEqualTo(3.0 * GIB);
        assertThat(delta.getId().getTags()).extracting(t -> t.getKey()).containsExactlyInAnyOrder("model", "precision");
    }

    @Test
    void loadDeltaFallsBackToTheDeviceWhereNvmlDoesNotListThisProcess() {
        // This process listed after the load: its own growth.
        assertThat(GpuMemoryMetrics.loadDelta(new GpuMemoryMetrics.Snapshot(0, 1000), new GpuMemoryMetrics.Snapshot(600, 1700)))
                .isEqualTo(600);
        // Not listed (a container whose PIDs the driver does not see): the device's growth.
        assertThat(GpuMemoryMetrics.loadDelta(new GpuMemoryMetrics.Snapshot(0, 1000), new GpuMemoryMetrics.Snapshot(0, 1700)))
                .isEqualTo(700);
        assertThat(GpuMemoryMetrics.loadDelta(new GpuMemoryMetrics.Snapshot(-1, -1), new GpuMemoryMetrics.Snapshot(-1, -1)))
                .isEqualTo(Variant.NOT_MEASURED);
    }

    @Test
    void withoutCudaNothingIsRegisteredAndNvmlIsNotOpened() {
        metrics(false, GpuProperties.Mode.AUTO);
        assertThat(gpu.active()).isFalse();
        assertThat(fake.initCalls.get()).isZero();
        assertNoGpuMeters();
        ModelRegistry registry = new ModelRegistry(TestProperties.defaults(Path.of("repo"), "shapes-blip2", "fp16", List.of()),
                meters, gpu);
        registry.register(new VariantKey("shapes-blip2", "fp16"), Path.of("repo/shapes-blip2/fp16"));
        assertThat(meters.find("blip2.variant.load.gpu.delta").gauges()).isEmpty();
        assertThat(meters.find("blip2.variant.load.resident.delta").gauges()).hasSize(1);
        assertThat(registry.gpu().snapshot()).isEqualTo(new GpuMemoryMetrics.Snapshot(-1, -1));
        assertThat(infoLines()).containsExactly(
                "GPU memory metrics not exported: the CUDA execution provider is off (blip2.ort.cuda=false)");
    }

    @Test
    void offMeansOffEvenWithCuda() {
        metrics(true, GpuProperties.Mode.OFF);
        assertNoGpuMeters();
        assertThat(fake.initCalls.get()).isZero();
        assertThat(infoLines()).containsExactly("GPU memory metrics not exported: blip2.gpu.memory-metrics=off");
    }

    @Test
    void onExportsWithoutCuda() {
        metrics(false, GpuProperties.Mode.ON);
        assertThat(gauge("blip2.gpu.memory.total")).isEqualTo(80.0 * GIB);
    }

    @Test
    void nvmlThatDoesNotInitialiseMeansNoGaugesAndOneInfoLine() {
        fake.initResult = Nvml.ERROR_DRIVER_NOT_LOADED;
        metrics(true, GpuProperties.Mode.AUTO);
        assertThat(gpu.active()).isFalse();
        assertNoGpuMeters();
        assertThat(infoLines()).containsExactly(
                "GPU memory metrics not exported: NVML (fake) does not answer for device 0: nvmlInit_v2: Driver Not Loaded (9)");
    }

    @Test
    void aMissingLibraryMeansNoGaugesAndOneInfoLine() {
        gpu = new GpuMemoryMetrics(true, 0, new GpuProperties(GpuProperties.Mode.AUTO, "libnvidia-ml-not-here.so.1"), meters,
                () -> Nvml.load("libnvidia-ml-not-here.so.1"));
        assertNoGpuMeters();
        assertThat(infoLines()).singleElement().asString()
                .startsWith("GPU memory metrics not exported: NVML (libnvidia-ml-not-here.so.1) does not answer for device 0: cannot load");
    }

    @Test
    void aDeviceNvmlDoesNotHaveMeansNoGaugesAndNvmlIsShutDown() {
        gpu = new GpuMemoryMetrics(true, 2, new GpuProperties(GpuProperties.Mode.AUTO, "fake"), meters,
                () -> Nvml.open(fake.lookup()));
        assertNoGpuMeters();
        assertThat(fake.shutdownCalls.get()).isEqualTo(1);
        assertThat(infoLines()).singleElement().asString().endsWith("nvmlDeviceGetHandleByIndex_v2(2): Invalid Argument (2)");
    }

    @Test
    void withoutAProcessListOnlyTheDeviceGaugesExist() {
        fake.missing.addAll(List.of("nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2",
                "nvmlDeviceGetComputeRunningProcesses"));
        metrics(true, GpuProperties.Mode.AUTO);
        assertThat(meters.find("blip2.gpu.memory.used").gauge()).isNotNull();
        assertThat(meters.find("blip2.gpu.process.memory").gauge()).isNull();
        assertThat(gpu.processBytes()).isEqualTo(-1);
    }

    @Test
    void afterShutdownTheGaugesReadNaN() {
        metrics(true, GpuProperties.Mode.AUTO);
        gpu.destroy();
        assertThat(fake.shutdownCalls.get()).isEqualTo(1);
        assertThat(meters.find("blip2.gpu.memory.used").gauge().value()).isNaN();
        assertThat(meters.find("blip2.gpu.process.memory").gauge().value()).isNaN();
    }

    private double gauge(String name) {
        Gauge g = meters.find(name).gauge();
        assertThat(g).as(name).isNotNull();
        return g.value();
    }

    private void assertNoGpuMeters() {
        assertThat(meters.getMeters()).noneMatch(m -> m.getId().getName().startsWith("blip2.gpu."));
    }

    private List<String> infoLines() {
        return log.list.stream().filter(e -> e.getLevel() == Level.INFO).map(ILoggingEvent::getFormattedMessage).toList();
    }
}
