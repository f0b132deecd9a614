package dev.blip2serve.serve.model;

import dev.blip2serve.gpu.Nvml;
import dev.blip2serve.gpu.NvmlException;

/**
 * Where {@link GpuMemoryMetrics} gets NVML from. The service has no bean of this type and loads
 * {@code blip2.gpu.nvml-library}; a test may declare one to put an NVML written in Java behind the real binding.
 */
@FunctionalInterface
public interface NvmlSource {

    Nvml open() throws NvmlException;
}
