package dev.blip2serve.gpu;

/**
 * {@code nvmlMemory_t}: a device's frame buffer memory, in bytes. {@code used} is everything allocated on the device
 * (every process, plus what the driver reserves), {@code free = total - used} as NVML reports it.
 */
public record NvmlMemory(long total, long free, long used) {
}
