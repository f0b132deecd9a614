package dev.blip2serve.gpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Prints what {@link Nvml} reads on this machine as JSON lines, to check the binding on a real GPU with nothing but
 * {@code java.base} (no Spring, no JSON library):
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp target/classes dev.blip2serve.gpu.NvmlProbe \
 *     [--library libnvidia-ml.so.1] [--device 0] [--alloc-mib 0] [--cuda-library libcuda.so.1]
 * </pre>
 *
 * <p>Lines: {@code library} (driver version, device count, which process-list call is bound), {@code device}
 * (name, total / free / used bytes), one {@code process} per compute process on the device ({@code self} marks this
 * JVM), {@code self} (this process's device memory as the service would export it). With {@code --alloc-mib N} the
 * probe also creates a CUDA context and allocates N MiB through the CUDA driver API ({@code libcuda.so.1}, FFM as
 * well), then prints {@code allocated} with this process's and the device's growth, and frees it: the check that
 * NVML lists this very process with its memory. Exit status 0, or 1 with an {@code error} line.
 */
public final class NvmlProbe {

    private NvmlProbe() {
    }

    public static void main(String[] args) {
        String library = Nvml.DEFAULT_LIBRARY;
        String cudaLibrary = "libcuda.so.1";
        int device = 0;
        long allocMib = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--library" -> { library = v; i++; }
                case "--cuda-library" -> { cudaLibrary = v; i++; }
                case "--device" -> { device = Integer.parseInt(v); i++; }
                case "--alloc-mib" -> { allocMib = Long.parseLong(v); i++; }
                default -> {
                    System.err.println("usage: NvmlProbe [--library PATH] [--device N] [--alloc-mib N] [--cuda-library PATH]");
                    System.exit(2);
                }
            }
        }
        System.exit(run(library, device, allocMib, cudaLibrary, System.out));
    }

    /** The probe itself: prints JSON lines to {@code out}; 0 when every reading worked, else 1. */
    public static int run(String library, int deviceIndex, long allocMib, String cudaLibrary, PrintStream out) {
        try (Nvml nvml = Nvml.load(library)) {
            return report(nvml, library, deviceIndex, allocMib, cudaLibrary, out);
        } catch (NvmlException e) {
            print(out, "error", "message", String.valueOf(e.getMessage()), "code", e.code());
            return 1;
        }
    }

    /** {@link #run} on an open binding ({@code library} only names it in the output). */
    static int report(Nvml nvml, String library, int deviceIndex, long allocMib, String cudaLibrary, PrintStream out) {
        long self = ProcessHandle.current().pid();
        try {
            print(out, "library", "library", library, "driver_version", nvml.driverVersion(),
                    "device_count", nvml.deviceCount(), "process_list_call", nvml.processListSymbol(), "pid", self);
            Nvml.Device d = nvml.device(deviceIndex);
            NvmlMemory m = d.memory();
            print(out, "device", "index", deviceIndex, "name", d.name(), "total_bytes", m.total(),
                    "free_bytes", m.free(), "used_bytes", m.used());
            processes(out, d, self);
            long before = d.processMemory(self);
            print(out, "self", "pid", self, "process_memory_bytes", before);
            if (allocMib > 0) {
                allocate(out, d, self, m.used(), before, allocMib * 1024 * 1024, deviceIndex, cudaLibrary);
            }
            return 0;
        } catch (NvmlException | RuntimeException e) {
            print(out, "error", "message", String.valueOf(e.getMessage()), "code",
                    e instanceof NvmlException n ? n.code() : NvmlException.NOT_NVML);
            return 1;
        }
    }

    private static void processes(PrintStream out, Nvml.Device d, long self) throws NvmlException {
        for (NvmlProcess p : d.computeProcesses()) {
            print(out, "process", "pid", p.pid(), "used_gpu_memory_bytes", p.usedGpuMemory(),
                    "gpu_instance_id", p.gpuInstanceId(), "compute_instance_id", p.computeInstanceId(), "self", p.pid() == self);
        }
    }

    /**
     * CUDA driver API, enough for one allocation:
     * <pre>
     * CUresult cuInit(unsigned int flags)
     * CUresult cuDeviceGet(CUdevice *device, int ordinal)                 // CUdevice: int
     * CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice device)  // CUcontext: pointer
     * CUresult cuCtxSetCurrent(CUcontext ctx)
     * CUresult cuMemAlloc_v2(CUdeviceptr *ptr, size_t bytes)              // CUdeviceptr: unsigned long long
     * CUresult cuMemFree_v2(CUdeviceptr ptr)
     * CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device)
     * </pre>
     * The CUDA ordinal is taken equal to NVML's index (true with one visible GPU).
     */
    private static void allocate(PrintStream out, Nvml.Device d, long self, long deviceUsedBefore, long processBefore,
                                 long bytes, int ordinal, String cudaLibrary) throws NvmlException {
        Linker linker = Linker.nativeLinker();
        try (Arena lib = Arena.ofConfined(); Arena a = Arena.ofConfined()) {
            SymbolLookup cuda = SymbolLookup.libraryLookup(cudaLibrary, lib);
            MethodHandle init = fn(linker, cuda, "cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            MethodHandle deviceGet = fn(linker, cuda, "cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
            MethodHandle retain = fn(linker, cuda, "cuDevicePrimaryCtxRetain", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
            MethodHandle setCurrent = fn(linker, cuda, "cuCtxSetCurrent", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            MethodHandle alloc = fn(linker, cuda, "cuMemAlloc_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
            MethodHandle free = fn(linker, cuda, "cuMemFree_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
            MethodHandle release = fn(linker, cuda, "cuDevicePrimaryCtxRelease_v2", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            cu((int) init.invokeExact(0), "cuInit");
            MemorySegment dev = a.allocate(JAVA_INT);
            cu((int) deviceGet.invokeExact(dev, ordinal), "cuDeviceGet");
            int cuDevice = dev.get(JAVA_INT, 0);
            MemorySegment ctx = a.allocate(ADDRESS);
            cu((int) retain.invokeExact(ctx, cuDevice), "cuDevicePrimaryCtxRetain");
            cu((int) setCurrent.invokeExact(ctx.get(ADDRESS, 0)), "cuCtxSetCurrent");
            long contextOnly = d.processMemory(self);
            MemorySegment ptr = a.allocate(JAVA_LONG);
            cu((int) alloc.invokeExact(ptr, bytes), "cuMemAlloc_v2");
            try {
                long after = d.processMemory(self);
                long deviceUsed = d.memory().used();
                processes(out, d, self);
                print(out, "allocated", "bytes", bytes, "self_process_memory_bytes_before", processBefore,
                        "self_process_memory_bytes_with_context", contextOnly, "self_process_memory_bytes", after,
                        "self_growth_over_context_bytes", contextOnly >= 0 && after >= 0 ? after - contextOnly : -1,
                        "device_used_bytes", deviceUsed, "device_used_growth_bytes", deviceUsed - deviceUsedBefore);
            } finally {
                int ignored = (int) free.invokeExact(ptr.get(JAVA_LONG, 0));
                ignored = (int) release.invokeExact(cuDevice);
            }
        } catch (NvmlException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("CUDA allocation through " + cudaLibrary + " failed: " + t.getMessage(), t);
        }
    }

    private static MethodHandle fn(Linker linker, SymbolLookup lookup, String name, FunctionDescriptor fd) {
        return linker.downcallHandle(lookup.find(name).orElseThrow(
                () -> new IllegalStateException("no symbol " + name)), fd);
    }

    private static void cu(int rc, String what) {
        if (rc != 0) {
            throw new IllegalStateException(what + " returned CUresult " + rc);
        }
    }

    /** One JSON object on one line: {@code {"event": event, key: value, ...}}; strings escaped, null as null. */
    static void print(PrintStream out, String event, Object... keyValues) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("event", event);
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            fields.put((String) keyValues[i], keyValues[i + 1]);
        }
        StringBuilder b = new StringBuilder("{");
        fields.forEach((k, v) -> {
            if (b.length() > 1) {
                b.append(',');
            }
            b.append(quote(k)).append(':');
            b.append(v == null ? "null" : v instanceof Number || v instanceof Boolean ? v.toString() : quote(v.toString()));
        });
        out.println(b.append('}'));
        out.flush();
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
