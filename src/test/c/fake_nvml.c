/*
 * A stand-in for NVIDIA's libnvidia-ml.so.1 on machines without a GPU, for ComposeStackTest: the service in its
 * container reads "GPU memory" through its real NVML binding (dev.blip2serve.gpu.Nvml, same C ABI as nvml.h) from
 * this library, so the dashboards' GPU panels have series to show. One device of 80 GiB; its only compute process is
 * the caller itself, whose "GPU memory" is its resident memory (so it grows while each variant loads); the device's
 * used memory is that plus 1 GiB of another process. Built by the test with gcc -shared -fPIC.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_t;

static const unsigned long long TOTAL = 80ULL << 30;
static const unsigned long long OTHER = 1ULL << 30;
static int device; /* its address is the device handle */

static unsigned long long resident_bytes(void) {
    unsigned long long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
        if (fscanf(f, "%llu %llu", &pages, &resident) != 2) {
            resident = 0;
        }
        fclose(f);
    }
    return resident * (unsigned long long) sysconf(_SC_PAGESIZE);
}

int nvmlInit_v2(void) { return 0; }
int nvmlShutdown(void) { return 0; }
const char *nvmlErrorString(int result) { return result == 0 ? "Success" : "Fake NVML error"; }

int nvmlDeviceGetCount_v2(unsigned int *count) {
    *count = 1;
    return 0;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, void **handle) {
    if (index != 0) {
        return 2; /* NVML_ERROR_INVALID_ARGUMENT */
    }
    *handle = &device;
    return 0;
}

int nvmlDeviceGetMemoryInfo(void *handle, nvmlMemory_t *memory) {
    (void) handle;
    memory->total = TOTAL;
    memory->used = resident_bytes() + OTHER;
    memory->free = TOTAL - memory->used;
    return 0;
}

int nvmlDeviceGetComputeRunningProcesses_v3(void *handle, unsigned int *count, nvmlProcessInfo_t *infos) {
    (void) handle;
    if (*count < 2) {
        *count = 2;
        return 7; /* NVML_ERROR_INSUFFICIENT_SIZE */
    }
    *count = 2;
    infos[0] = (nvmlProcessInfo_t) {(unsigned int) getpid(), resident_bytes(), ~0U, ~0U};
    infos[1] = (nvmlProcessInfo_t) {1000000U, OTHER, ~0U, ~0U};
    return 0;
}

int nvmlDeviceGetName(void *handle, char *name, unsigned int length) {
    (void) handle;
    snprintf(name, length, "Fake NVML GPU (blip2-serve tests)");
    return 0;
}

int nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    snprintf(version, length, "0.0-fake");
    return 0;
}
