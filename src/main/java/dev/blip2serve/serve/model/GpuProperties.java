package dev.blip2serve.serve.model;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * GPU memory metrics, {@code blip2.gpu.*} (see {@link GpuMemoryMetrics}).
 *
 * @param memoryMetrics {@code auto}: exported when {@code blip2.ort.cuda} is on and NVML loads; {@code on}: also with
 *                      CUDA off (a GPU box computing on the CPU, or tests with a fake NVML); {@code off}: never
 * @param nvmlLibrary   NVML: a name the dynamic loader finds or a path ({@code /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1})
 */
@ConfigurationProperties("blip2.gpu")
public record GpuProperties(@DefaultValue("auto") Mode memoryMetrics,
                            @DefaultValue("libnvidia-ml.so.1") String nvmlLibrary) {

    /** When the GPU memory gauges exist. */
    public enum Mode { AUTO, ON, OFF }

    /** The defaults, for tests without Spring. */
    public static GpuProperties defaults() {
        return new GpuProperties(Mode.AUTO, dev.blip2serve.gpu.Nvml.DEFAULT_LIBRARY);
    }
}
