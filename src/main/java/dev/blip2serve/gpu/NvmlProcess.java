package dev.blip2serve.gpu;

/**
 * One entry of {@code nvmlDeviceGetComputeRunningProcesses}: a process with a CUDA context on the device.
 *
 * @param pid               the process id as the driver sees it (the host's PID namespace: inside a container
 *                          without the host's PID namespace it is not the container's own id)
 * @param usedGpuMemory     its device memory in bytes, or -1 when NVML cannot say ({@code NVML_VALUE_NOT_AVAILABLE},
 *                          e.g. under MIG without privileges or on Windows WDDM)
 * @param gpuInstanceId     the MIG GPU instance, or -1 ({@code 0xFFFFFFFF}) without MIG or with the v1 call
 * @param computeInstanceId the MIG compute instance, or -1
 */
public record NvmlProcess(long pid, long usedGpuMemory, int gpuInstanceId, int computeInstanceId) {

    /** Whether NVML reported the process's memory. */
    public boolean memoryKnown() {
        return usedGpuMemory >= 0;
    }
}
