package dev.blip2serve.serve.model;

import dev.blip2serve.gpu.Nvml;
import dev.blip2serve.gpu.NvmlException;
import dev.blip2serve.gpu.NvmlMemory;
import dev.blip2serve.serve.ServeProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * GPU memory of the configured CUDA device, read from NVML ({@link Nvml}) on every scrape: ONNX Runtime's Java API
 * does not report device memory. No {@code device} tag: one process uses one GPU, {@code blip2.ort.cuda-device}
 * (taken as NVML's index).
 *
 * <ul>
 *   <li>{@code blip2.gpu.memory.used}, {@code blip2.gpu.memory.total} (bytes): the whole device (every process and
 *       the driver's reservations), {@code nvmlDeviceGetMemoryInfo}</li>
 *   <li>{@code blip2.gpu.process.memory} (bytes): this process's device memory, {@code usedGpuMemory} of its entries
 *       in {@code nvmlDeviceGetComputeRunningProcesses}; 0 while it has no CUDA context, and also where the driver
 *       lists PIDs of another namespace (a container without the host's PID namespace)</li>
 *   <li>per variant, {@code blip2.variant.load.gpu.delta} (registered by {@link ModelRegistry}): what
 *       {@link #loadDelta} measured around the variant's load</li>
 * </ul>
 *
 * They exist only when {@code blip2.gpu.memory-metrics} is {@code on}, or {@code auto} (the default) with
 * {@code blip2.ort.cuda=true}, and NVML loads and answers for the device; otherwise one INFO line says why not and no
 * gauge is registered.
 */
@Component
public class GpuMemoryMetrics implements DisposableBean {

    private static final Logger LOG = LoggerFactory.getLogger(GpuMemoryMetrics.class);

    /** GPU memory before or after something: -1 where unknown. */
    public record Snapshot(long processBytes, long deviceUsedBytes) {
        static final Snapshot UNKNOWN = new Snapshot(-1, -1);

        @Override
        public String toString() {
            return "process " + processBytes + " / device used " + deviceUsedBytes + " bytes";
        }
    }

    private final Nvml nvml;
    private final Nvml.Device device;
    private final boolean processGauge;
    private final long pid = ProcessHandle.current().pid();
    private final AtomicBoolean warned = new AtomicBoolean();

    @Autowired
    public GpuMemoryMetrics(ServeProperties serve, GpuProperties gpu, MeterRegistry meters, ObjectProvider<NvmlSource> sources) {
        this(serve.ort().cuda(), serve.ort().cudaDevice(), gpu, meters,
                sources.getIfAvailable(() -> () -> Nvml.load(gpu.nvmlLibrary())));
    }

    /**
     * @param cuda        whether the CUDA execution provider is configured ({@code blip2.ort.cuda})
     * @param deviceIndex the GPU ({@code blip2.ort.cuda-device})
     */
    public GpuMemoryMetrics(boolean cuda, int deviceIndex, GpuProperties gpu, MeterRegistry meters, NvmlSource source) {
        GpuProperties.Mode mode = gpu.memoryMetrics();
        if (mode == GpuProperties.Mode.OFF || (mode == GpuProperties.Mode.AUTO && !cuda)) {
            LOG.info("GPU memory metrics not exported: {}", mode == GpuProperties.Mode.OFF
                    ? "blip2.gpu.memory-metrics=off" : "the CUDA execution provider is off (blip2.ort.cuda=false)");
            nvml = null;
            device = null;
            processGauge = false;
            return;
        }
        Nvml opened = null;
        Nvml.Device d = null;
        try {
            opened = source.open();
            d = opened.device(deviceIndex);
            d.memory();
        } catch (NvmlException | RuntimeException | LinkageError e) {
            LOG.info("GPU memory metrics not exported: NVML ({}) does not answer for device {}: {}",
                    gpu.nvmlLibrary(), deviceIndex, e.getMessage());
            if (opened != null) {
                opened.close();
            }
            nvml = null;
            device = null;
            processGauge = false;
            return;
        }
        nvml = opened;
        device = d;
        boolean processes = false;
        if (d.listsProcesses()) {
            try {
                d.processMemory(pid);
                processes = true;
            } catch (NvmlException e) {
                LOG.info("GPU memory of this process not exported (device memory is): {}", e.getMessage());
            }
        } else {
            LOG.info("GPU memory of this process not exported (device memory is): NVML has no compute-process call");
        }
        processGauge = processes;
        register(meters);
        LOG.info("GPU memory metrics from NVML for device {} ({}){}", deviceIndex, name(d),
                processes ? ", this process via " + opened.processListSymbol() : "");
    }

    /** Exports nothing and reads nothing (tests of the registry without Spring). */
    public static GpuMemoryMetrics none() {
        return new GpuMemoryMetrics();
    }

    private GpuMemoryMetrics() {
        nvml = null;
        device = null;
        processGauge = false;
    }

    private void register(MeterRegistry meters) {
        Gauge.builder("blip2.gpu.memory.used", this, g -> g.deviceMemory(NvmlMemory::used)).baseUnit("bytes")
                .description("Device memory in use on the service's GPU: every process and the driver (NVML)")
                .register(meters);
        Gauge.builder("blip2.gpu.memory.total", this, g -> g.deviceMemory(NvmlMemory::total)).baseUnit("bytes")
                .description("Device memory of the service's GPU (NVML)").register(meters);
        if (processGauge) {
            Gauge.builder("blip2.gpu.process.memory", this, g -> {
                        long b = g.processBytes();
                        return b < 0 ? Double.NaN : b;
                    }).baseUnit("bytes")
                    .description("Device memory of this process on its GPU (NVML compute processes; 0 without a CUDA context)")
                    .register(meters);
        }
    }

    /** Whether the GPU gauges are registered. */
    public boolean active() {
        return device != null;
    }

    /** This process's device memory now, or -1 (inactive, not reported, or an NVML failure). */
    public long processBytes() {
        if (!processGauge) {
            return -1;
        }
        try {
            return device.processMemory(pid);
        } catch (NvmlException e) {
            warnOnce(e);
            return -1;
        }
    }

    /** Now, for {@link #loadDelta}. */
    public Snapshot snapshot() {
        if (!active()) {
            return Snapshot.UNKNOWN;
        }
        long used;
        try {
            used = device.memory().used();
        } catch (NvmlException e) {
            warnOnce(e);
            used = -1;
        }
        return new Snapshot(processBytes(), used);
    }

    /**
     * The GPU memory a variant's load added: this process's growth when NVML lists the process afterwards, else (a
     * container whose PIDs the driver does not see) the growth of the device's used memory, else
     * {@link Variant#NOT_MEASURED}.
     */
    public static long loadDelta(Snapshot before, Snapshot after) {
        if (before.processBytes() >= 0 && after.processBytes() > 0) {
            return after.processBytes() - before.processBytes();
        }
        if (before.deviceUsedBytes() >= 0 && after.deviceUsedBytes() >= 0) {
            return after.deviceUsedBytes() - before.deviceUsedBytes();
        }
        return Variant.NOT_MEASURED;
    }

    private double deviceMemory(java.util.function.ToLongFunction<NvmlMemory> field) {
        try {
            return field.applyAsLong(device.memory());
        } catch (NvmlException e) {
            warnOnce(e);
            return Double.NaN;
        }
    }

    private void warnOnce(NvmlException e) {
        if (warned.compareAndSet(false, true)) {
            LOG.warn("reading GPU memory from NVML failed (gauges read NaN meanwhile; logged once): {}", e.getMessage());
        }
    }

    private static String name(Nvml.Device d) {
        try {
            String n = d.name();
            return n == null ? "name unknown" : n;
        } catch (NvmlException e) {
            return "name unknown";
        }
    }

    /** NVML shut down; the gauges read NaN from now on. */
    @Override
    public void destroy() {
        if (nvml != null) {
            nvml.close();
        }
    }
}
