package dev.blip2serve.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link Nvml} against {@link FakeNvml}: native function pointers (FFM upcall stubs) with NVML's C signatures, so
 * every downcall, out-parameter, struct layout and error path runs as it would against {@code libnvidia-ml.so.1}.
 */
class NvmlTest {

    private static final long GIB = 1L << 30;
    private static final long SELF = ProcessHandle.current().pid();
    private final FakeNvml fake = new FakeNvml();

    @AfterEach
    void closeFake() {
        fake.close();
    }

    @Test
    void readsDeviceMemoryThroughTheHandleAndStructOutParameters() throws Exception {
        fake.deviceCount = 2;
        fake.total = 80 * GIB;
        fake.driverReserved = GIB / 2;
        fake.processes = () -> List.of(FakeNvml.Proc.of(SELF, 3 * GIB), FakeNvml.Proc.of(4242, 5 * GIB));
        try (Nvml nvml = Nvml.open(fake.lookup())) {
            assertThat(fake.initCalls.get()).isEqualTo(1);
            assertThat(nvml.deviceCount()).isEqualTo(2);
            assertThat(nvml.driverVersion()).isEqualTo("580.95.05");
            Nvml.Device d = nvml.device(1);
            assertThat(d.name()).isEqualTo("Fake H100 1");
            NvmlMemory m = d.memory();
            assertThat(m.total()).isEqualTo(80 * GIB);
            assertThat(m.used()).isEqualTo(GIB / 2 + 8 * GIB);
            assertThat(m.free()).isEqualTo(m.total() - m.used());
        }
        assertThat(fake.shutdownCalls.get()).isEqualTo(1);
    }

    @Test
    void processListUsesV3AndReadsEveryFieldPastThePadding() throws Exception {
        fake.processes = () -> List.of(new FakeNvml.Proc(SELF, () -> 1234567890123L, 3, 7),
                new FakeNvml.Proc(0xFFFF_FFF0L, () -> 42L, -1, -1));
        try (Nvml nvml = Nvml.open(fake.lookup())) {
            assertThat(nvml.processListSymbol()).isEqualTo("nvmlDeviceGetComputeRunningProcesses_v3");
            List<NvmlProcess> ps = nvml.device(0).computeProcesses();
            assertThat(fake.lastProcessSymbol).isEqualTo("nvmlDeviceGetComputeRunningProcesses_v3");
            assertThat(ps).containsExactly(new NvmlProcess(SELF, 1234567890123L, 3, 7),
                    // pid is an unsigned int: a large one must not turn negative
                    new NvmlProcess(0xFFFF_FFF0L, 42L, -1, -1));
            assertThat(nvml.device(0).processMemory(SELF)).isEqualTo(1234567890123L);
            assertThat(nvml.device(0).processMemory(99_999_999L)).as("not listed").isZero();
        }
    }

    @Test
    void insufficientSizeIsRetriedWithTheCountNvmlAsksFor() throws Exception {
        // More processes than the binding's first array (16): NVML answers INSUFFICIENT_SIZE with the count needed.
        List<FakeNvml.Proc> many = new ArrayList<>();
        LongStream.range(0, 39).forEach(i -> many.add(FakeNvml.Proc.of(1000 + i, 100 + i)));
        many.add(FakeNvml.Proc.of(SELF, 7 * GIB));
        fake.processes = () -> many;
        try (Nvml nvml = Nvml.open(fake.lookup())) {
            List<NvmlProcess> ps = nvml.device(0).computeProcesses();
            assertThat(ps).hasSize(40);
            assertThat(ps.get(39)).isEqualTo(new NvmlProcess(SELF, 7 * GIB, -1, -1));
            assertThat(fake.tooSmallAnswers.get()).isEqualTo(1);
            assertThat(fake.processCalls.get()).isEqualTo(2);
        }
    }

    @Test
    void processesStartingBetweenTheCallsAreRetriedAgain() throws Exception {
        // The list grows by 20 with every call: each answer's count is stale by the next call.
        int[] calls = {0};
        fake.processes = () -> {
            List<FakeNvml.Proc> ps = new ArrayList<>();
            int n = 10 + 20 * calls[0]++;
            for (int i = 0; i < n; i++) {
                ps.add(FakeNvml.Proc.of(2000 + i, GIB));
            }
            return ps;
        };
        try (Nvml nvml = Nvml.open(fake.lookup())) {
            // first call: 10 fit in 16; call the growing list twice to force the retry path
            assertThat(nvml.device(0).computeProcesses()).hasSize(10);
            List<NvmlProcess> ps = nvml.device(0).computeProcesses();
            assertThat(ps.size()).isGreaterThan(16);
            assertThat(fake.tooSmallAnswers.get()).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void anArrayThatNeverFitsEndsWithInsufficientSize() throws Exception {
        fake.alwaysTooSmall = true;
        try (Nvml nvml = Nvml.open(fake.lookup())) {
            Nvml.Device d = nvml.device(0);
            assertThatThrownBy(d::computeProcesses).isInstanceOf(NvmlException.class)
                    .hasMessageContaining("Insufficient Size")
                    .satisfies(e -> assertThat(((NvmlException) e).code()).isEqualTo(Nvml.ERROR_INSUFFICIENT_SIZE));
            assertThat(fake.processCalls.get()).isEqualTo(6);
        }
    }

    @Test
    void fallsBackToV2ThenToV1WithItsShorterStruct() throws Exception {
        fake.processes = () -> List.of(FakeNvml.Proc.of(31, 10), FakeNvml.Proc.of(SELF, 2 * GIB), FakeNvml.Proc.of(33, 30));
        fake.missing.add("nvmlDeviceGetComputeRunningProcesses_v3");
        try (Nvml nvml = Nvml.open(fake.lookup())) {
            assertThat(nvml.processListSymbol()).isEqualTo("nvmlDeviceGetComputeRunningProcesses_v2");
            assertThat(nvml.device(0).processMemory(SELF)).isEqualTo(2 * GIB);
        }
        fake.missing.add("nvmlDeviceGetComputeRunningProcesses_v2");
        try (Nvml nvml = Nvml.open(fake.lookup())) {
            assertThat(nvml.processListSymbol()).isEqualTo("nvmlDeviceGetComputeRunningProcesses");
            // 16-byte entries: reading them with the 24-byte layout would misplace every entry after the first
            assertThat(nvml.device(0).computeProcesses()).containsExactly(new NvmlProcess(31, 10, -1, -1),
                    new NvmlProcess(SELF, 2 * GIB, -1, -1), new NvmlProcess(33, 30, -1, -1));
        }
        fake.missing.add("nvmlDeviceGetComputeRunningProcesses");
        try (Nvml nvml = Nvml.open(fake.lookup())) {
            Nvml.Device d = nvml.device(0);
            assertThat(d.listsProcesses()).isFalse();
            assertThat(d.memory().total()).isPositive();
            assertThatThrownBy(d::computeProcesses).isInstanceOf(NvmlException.class)
                    .hasMessageContaining("nvmlDeviceGetComputeRunningProcesses");
        }
    }

    @Test
    void memoryNvmlCannotAttributeReadsAsUnknown() throws Exception {
        fake.processes = () -> List.of(FakeNvml.Proc.of(SELF, FakeNvml.NOT_AVAILABLE));
        try (Nvml nvml = Nvml.open(fake.lookup())) {
            NvmlProcess p = nvml.device(0).computeProcesses().getFirst();
            assertThat(p.memoryKnown()).isFalse();
            assertThat(p.usedGpuMemory()).isEqualTo(-1);
            assertThat(nvml.device(0).processMemory(SELF)).isEqualTo(-1);
        }
    }

    @Test
    void aMissingRequiredSymbolIsACleanErrorBeforeInit() {
        fake.missing.add("nvmlDeviceGetMemoryInfo");
        assertThatThrownBy(() -> Nvml.open(fake.lookup())).isInstanceOf(NvmlException.class)
                .hasMessageContaining("no symbol nvmlDeviceGetMemoryInfo")
                .satisfies(e -> assertThat(((NvmlException) e).code()).isEqualTo(Nvml.ERROR_FUNCTION_NOT_FOUND));
        assertThat(fake.initCalls.get()).isZero();
    }

    @Test
    void initFailureCarriesNvmlsOwnMessage() {
        fake.initResult = Nvml.ERROR_DRIVER_NOT_LOADED;
        assertThatThrownBy(() -> Nvml.open(fake.lookup())).isInstanceOf(NvmlException.class)
                .hasMessage("nvmlInit_v2: Driver Not Loaded (9)")
                .satisfies(e -> assertThat(((NvmlException) e).code()).isEqualTo(Nvml.ERROR_DRIVER_NOT_LOADED));
    }

    @Test
    void errorsOfLaterCallsAreNvmlExceptionsWithTheirCode() throws Exception {
        try (Nvml nvml = Nvml.open(fake.lookup())) {
            assertThatThrownBy(() -> nvml.device(3)).isInstanceOf(NvmlException.class)
                    .hasMessage("nvmlDeviceGetHandleByIndex_v2(3): Invalid Argument (2)");
            assertThatThrownBy(() -> nvml.device(-1)).isInstanceOf(NvmlException.class);
            fake.memoryResult = Nvml.ERROR_NO_PERMISSION;
            assertThatThrownBy(() -> nvml.device(0).memory()).isInstanceOf(NvmlException.class)
                    .hasMessage("nvmlDeviceGetMemoryInfo: Insufficient Permissions (4)");
            assertThat(nvml.errorString(12345)).isEqualTo("Unknown Error");
        }
    }

    @Test
    void withoutNvmlErrorStringTheCodeIsStillReported() {
        fake.missing.add("nvmlErrorString");
        fake.initResult = Nvml.ERROR_NO_PERMISSION;
        assertThatThrownBy(() -> Nvml.open(fake.lookup())).hasMessage("nvmlInit_v2: NVML error 4 (4)");
    }

    @Test
    void closeShutsDownOnceAndLaterCallsFail() throws Exception {
        Nvml nvml = Nvml.open(fake.lookup());
        Nvml.Device d = nvml.device(0);
        nvml.close();
        nvml.close();
        assertThat(fake.shutdownCalls.get()).isEqualTo(1);
        assertThatThrownBy(d::memory).isInstanceOf(NvmlException.class).hasMessage("NVML is closed");
    }

    @Test
    void aLibraryThatDoesNotLoadIsACleanError() {
        assertThatThrownBy(() -> Nvml.load("libnvidia-ml-not-here.so.1")).isInstanceOf(NvmlException.class)
                .hasMessageStartingWith("cannot load libnvidia-ml-not-here.so.1");
        assertThatThrownBy(() -> Nvml.load("/nonexistent/libnvidia-ml.so.1")).isInstanceOf(NvmlException.class)
                .hasMessageStartingWith("cannot load /nonexistent/libnvidia-ml.so.1");
        assertThatThrownBy(() -> Nvml.load(" ")).isInstanceOf(NvmlException.class).hasMessage("no NVML library named");
    }

    @Test
    void probePrintsOneJsonObjectPerLine() throws Exception {
        fake.processes = () -> List.of(FakeNvml.Proc.of(SELF, 3 * GIB), FakeNvml.Proc.of(77, GIB));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc;
        try (Nvml nvml = Nvml.open(fake.lookup()); PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            rc = NvmlProbe.report(nvml, "fake \"nvml\"", 0, 0, "unused", out);
        }
        assertThat(rc).isZero();
        JsonMapper json = JsonMapper.builder().build();
        List<JsonNode> lines = bytes.toString(StandardCharsets.UTF_8).lines().map(json::readTree).toList();
        assertThat(lines).extracting(l -> l.path("event").asString())
                .containsExactly("library", "device", "process", "process", "self");
        assertThat(lines.get(0).path("library").asString()).isEqualTo("fake \"nvml\"");
        assertThat(lines.get(0).path("process_list_call").asString()).isEqualTo("nvmlDeviceGetComputeRunningProcesses_v3");
        assertThat(lines.get(1).path("total_bytes").asLong()).isEqualTo(fake.total);
        assertThat(lines.get(1).path("used_bytes").asLong()).isEqualTo(fake.used());
        assertThat(lines.get(2).path("self").asBoolean()).isTrue();
        assertThat(lines.get(4).path("process_memory_bytes").asLong()).isEqualTo(3 * GIB);
    }

    @Test
    void probeReportsAMissingLibraryAsAnErrorLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = NvmlProbe.run("libnvidia-ml-not-here.so.1", 0, 0, "unused", new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertThat(rc).isEqualTo(1);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).startsWith("{\"event\":\"error\",\"message\":\"cannot load");
    }
}
