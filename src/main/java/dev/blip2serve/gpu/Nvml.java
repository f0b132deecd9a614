package dev.blip2serve.gpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A small binding of NVIDIA's management library (NVML) through the FFM API: initialise, get a device by index, read
 * its memory and its compute processes, shut down. Thread-safe (NVML is); {@link #close()} waits for calls in flight.
 *
 * <p>ABI (C, the platform's calling convention; {@code nvml.h} of CUDA 11 to 13, 64-bit Linux):
 * <pre>
 * nvmlReturn_t (int)   nvmlInit_v2(void)
 * nvmlReturn_t         nvmlShutdown(void)
 * const char*          nvmlErrorString(nvmlReturn_t result)
 * nvmlReturn_t         nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)   // nvmlDevice_t: opaque pointer
 * nvmlReturn_t         nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
 * nvmlReturn_t         nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *infoCount,
 *                                                               nvmlProcessInfo_t *infos)        // also _v2, same struct
 * nvmlReturn_t         nvmlDeviceGetComputeRunningProcesses(...)   // v1: nvmlProcessInfo_v1_t
 * nvmlReturn_t         nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)    // optional
 * nvmlReturn_t         nvmlSystemGetDriverVersion(char *version, unsigned int length)              // optional
 * nvmlReturn_t         nvmlDeviceGetCount_v2(unsigned int *deviceCount)                             // optional
 * </pre>
 * Structs (natural alignment, no packing pragma in nvml.h):
 * <pre>
 * nvmlMemory_t         { unsigned long long total, free, used; }                                  24 bytes
 * nvmlProcessInfo_t    { unsigned int pid; (4 bytes padding) unsigned long long usedGpuMemory;
 *   (= _v2_t, _v3)       unsigned int gpuInstanceId; unsigned int computeInstanceId; }          24 bytes, align 8
 * nvmlProcessInfo_v1_t { unsigned int pid; (4 bytes padding) unsigned long long usedGpuMemory; } 16 bytes
 * </pre>
 * {@code unsigned long long} is read as a Java {@code long}: memory sizes stay far below 2^63, and
 * {@code NVML_VALUE_NOT_AVAILABLE} ({@code ~0ULL}) reads as -1. The process-list calls take the array's capacity in
 * {@code *infoCount}; when it is too small they return {@link #ERROR_INSUFFICIENT_SIZE} with the needed count there,
 * and {@link Device#computeProcesses()} retries with a larger array (processes come and go between calls).
 */
public final class Nvml implements AutoCloseable {

    /** What {@link #load(String)} opens by default: the name the driver installs (found through the loader path). */
    public static final String DEFAULT_LIBRARY = "libnvidia-ml.so.1";

    public static final int SUCCESS = 0;
    public static final int ERROR_UNINITIALIZED = 1;
    public static final int ERROR_INVALID_ARGUMENT = 2;
    public static final int ERROR_NOT_SUPPORTED = 3;
    public static final int ERROR_NO_PERMISSION = 4;
    public static final int ERROR_NOT_FOUND = 6;
    public static final int ERROR_INSUFFICIENT_SIZE = 7;
    public static final int ERROR_DRIVER_NOT_LOADED = 9;
    public static final int ERROR_LIBRARY_NOT_FOUND = 12;
    public static final int ERROR_FUNCTION_NOT_FOUND = 13;
    public static final int ERROR_GPU_IS_LOST = 15;
    public static final int ERROR_UNKNOWN = 999;

    /** {@code nvmlMemory_t}. */
    public static final StructLayout MEMORY = MemoryLayout.structLayout(
            JAVA_LONG.withName("total"), JAVA_LONG.withName("free"), JAVA_LONG.withName("used")).withName("nvmlMemory_t");

    /** {@code nvmlProcessInfo_t} (v2 and v3 calls). */
    public static final StructLayout PROCESS_INFO = MemoryLayout.structLayout(
            JAVA_INT.withName("pid"), MemoryLayout.paddingLayout(4), JAVA_LONG.withName("usedGpuMemory"),
            JAVA_INT.withName("gpuInstanceId"), JAVA_INT.withName("computeInstanceId")).withName("nvmlProcessInfo_t");

    /** {@code nvmlProcessInfo_v1_t} (the unversioned call). */
    public static final StructLayout PROCESS_INFO_V1 = MemoryLayout.structLayout(
            JAVA_INT.withName("pid"), MemoryLayout.paddingLayout(4), JAVA_LONG.withName("usedGpuMemory"))
            .withName("nvmlProcessInfo_v1_t");

    private static final VarHandle MEM_TOTAL = field(MEMORY, "total");
    private static final VarHandle MEM_FREE = field(MEMORY, "free");
    private static final VarHandle MEM_USED = field(MEMORY, "used");

    /** Buffer sizes of nvml.h ({@code NVML_DEVICE_NAME_V2_BUFFER_SIZE}, {@code NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE}). */
    private static final int NAME_BUFFER = 96;
    private static final int VERSION_BUFFER = 80;
    /** First capacity of the process array, and how often a too-small array is retried. */
    private static final int FIRST_CAPACITY = 16;
    private static final int SIZE_RETRIES = 5;

    private static final FunctionDescriptor RETURN_ONLY = FunctionDescriptor.of(JAVA_INT);

    private final Arena libraryArena;
    private final MethodHandle shutdown;
    private final MethodHandle errorString;
    private final MethodHandle handleByIndex;
    private final MethodHandle memoryInfo;
    private final MethodHandle processes;
    private final StructLayout processLayout;
    private final String processSymbol;
    private final MethodHandle deviceName;
    private final MethodHandle driverVersion;
    private final MethodHandle deviceCount;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private Nvml(SymbolLookup lookup, Arena libraryArena) throws NvmlException {
        this.libraryArena = libraryArena;
        Linker linker = Linker.nativeLinker();
        MethodHandle init = required(linker, lookup, "nvmlInit_v2", RETURN_ONLY);
        this.shutdown = required(linker, lookup, "nvmlShutdown", RETURN_ONLY);
        this.errorString = optional(linker, lookup, "nvmlErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        this.handleByIndex = required(linker, lookup, "nvmlDeviceGetHandleByIndex_v2",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        this.memoryInfo = required(linker, lookup, "nvmlDeviceGetMemoryInfo",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        FunctionDescriptor list = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        MethodHandle p = null;
        String symbol = null;
        StructLayout layout = null;
        for (String s : new String[] {"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2",
                "nvmlDeviceGetComputeRunningProcesses"}) {
            p = optional(linker, lookup, s, list);
            if (p != null) {
                symbol = s;
                layout = s.endsWith("_v3") || s.endsWith("_v2") ? PROCESS_INFO : PROCESS_INFO_V1;
                break;
            }
        }
        this.processes = p;
        this.processSymbol = symbol;
        this.processLayout = layout;
        this.deviceName = optional(linker, lookup, "nvmlDeviceGetName",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        this.driverVersion = optional(linker, lookup, "nvmlSystemGetDriverVersion",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        this.deviceCount = optional(linker, lookup, "nvmlDeviceGetCount_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        int rc;
        try {
            rc = (int) init.invokeExact();
        } catch (Throwable t) {
            throw new NvmlException("nvmlInit_v2 failed: " + t, t);
        }
        check(rc, "nvmlInit_v2");
    }

    /**
     * Opens NVML from a library: a file name the dynamic loader finds ({@code libnvidia-ml.so.1}, as {@code dlopen}
     * would) or a path containing a {@code /}. The library is unloaded on {@link #close()}.
     *
     * @throws NvmlException the library does not load, lacks a required symbol, or {@code nvmlInit_v2} fails
     */
    public static Nvml load(String library) throws NvmlException {
        if (library == null || library.isBlank()) {
            throw new NvmlException(NvmlException.NOT_NVML, "no NVML library named");
        }
        Arena arena = Arena.ofShared();
        try {
            SymbolLookup lookup = library.contains("/")
                    ? SymbolLookup.libraryLookup(Path.of(library), arena)
                    : SymbolLookup.libraryLookup(library, arena);
            return new Nvml(lookup, arena);
        } catch (IllegalArgumentException e) {
            arena.close();
            throw new NvmlException("cannot load " + library + " (no NVIDIA driver here?): " + e.getMessage(), e);
        } catch (NvmlException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Opens NVML behind {@code lookup}, which stays the caller's (it is not closed). Tests pass upcall stubs here.
     *
     * @throws NvmlException a required symbol is missing or {@code nvmlInit_v2} fails
     */
    public static Nvml open(SymbolLookup lookup) throws NvmlException {
        return new Nvml(lookup, null);
    }

    /** {@code nvmlErrorString(code)}, or a generic text when the library has none. */
    public String errorString(int code) {
        if (errorString != null) {
            try {
                MemorySegment s = (MemorySegment) errorString.invokeExact(code);
                if (!s.equals(MemorySegment.NULL)) {
                    return s.reinterpret(Long.MAX_VALUE).getString(0);
                }
            } catch (Throwable t) {
                // fall through to the generic text
            }
        }
        return "NVML error " + code;
    }

    /** The driver version ({@code nvmlSystemGetDriverVersion}), or null when the library does not tell. */
    public String driverVersion() throws NvmlException {
        if (driverVersion == null) {
            return null;
        }
        return call(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(VERSION_BUFFER);
                check((int) driverVersion.invokeExact(buf, VERSION_BUFFER), "nvmlSystemGetDriverVersion");
                return buf.getString(0);
            }
        });
    }

    /** Devices NVML sees ({@code nvmlDeviceGetCount_v2}), or -1 when the library does not tell. */
    public int deviceCount() throws NvmlException {
        if (deviceCount == null) {
            return -1;
        }
        return call(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment count = a.allocate(JAVA_INT);
                check((int) deviceCount.invokeExact(count), "nvmlDeviceGetCount_v2");
                return count.get(JAVA_INT, 0);
            }
        });
    }

    /**
     * The device at NVML's {@code index} (PCI bus order). CUDA numbers devices fastest first unless
     * {@code CUDA_DEVICE_ORDER=PCI_BUS_ID}; both see the same single device when {@code CUDA_VISIBLE_DEVICES} or a
     * container exposes one.
     */
    public Device device(int index) throws NvmlException {
        if (index < 0) {
            throw new NvmlException(ERROR_INVALID_ARGUMENT, "device index " + index + " is negative");
        }
        MemorySegment handle = call(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(ADDRESS);
                check((int) handleByIndex.invokeExact(index, out), "nvmlDeviceGetHandleByIndex_v2(" + index + ")");
                return out.get(ADDRESS, 0);
            }
        });
        return new Device(index, handle);
    }

    /** Which process-list call is bound ({@code nvmlDeviceGetComputeRunningProcesses_v3}, ...), or null when none. */
    public String processListSymbol() {
        return processSymbol;
    }

    /** {@code nvmlShutdown}, then unloads the library if {@link #load} loaded it. Idempotent. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            try {
                int ignored = (int) shutdown.invokeExact();
            } catch (Throwable t) {
                // nothing more to do: the library is released below either way
            }
            if (libraryArena != null) {
                libraryArena.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** One GPU. Its methods fail with {@link NvmlException} once the {@link Nvml} is closed. */
    public final class Device {

        private final int index;
        private final MemorySegment handle;

        private Device(int index, MemorySegment handle) {
            this.index = index;
            this.handle = handle;
        }

        public int index() {
            return index;
        }

        /** {@code nvmlDeviceGetName}, or null when the library does not tell. */
        public String name() throws NvmlException {
            if (deviceName == null) {
                return null;
            }
            return call(() -> {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment buf = a.allocate(NAME_BUFFER);
                    check((int) deviceName.invokeExact(handle, buf, NAME_BUFFER), "nvmlDeviceGetName");
                    return buf.getString(0);
                }
            });
        }

        /** {@code nvmlDeviceGetMemoryInfo}: total, free and used frame buffer bytes. */
        public NvmlMemory memory() throws NvmlException {
            return call(() -> {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment m = a.allocate(MEMORY);
                    check((int) memoryInfo.invokeExact(handle, m), "nvmlDeviceGetMemoryInfo");
                    return new NvmlMemory((long) MEM_TOTAL.get(m, 0L), (long) MEM_FREE.get(m, 0L), (long) MEM_USED.get(m, 0L));
                }
            });
        }

        /** Whether the library has a compute-process call at all. */
        public boolean listsProcesses() {
            return processes != null;
        }

        /**
         * The processes with a CUDA context on the device ({@code nvmlDeviceGetComputeRunningProcesses_v3}, else
         * {@code _v2}, else v1), retried with a larger array while NVML answers {@link #ERROR_INSUFFICIENT_SIZE}.
         */
        public List<NvmlProcess> computeProcesses() throws NvmlException {
            if (processes == null) {
                throw new NvmlException(ERROR_FUNCTION_NOT_FOUND,
                        "libnvidia-ml has no nvmlDeviceGetComputeRunningProcesses (v3, v2 or v1)");
            }
            return call(() -> {
                int capacity = FIRST_CAPACITY;
                for (int attempt = 0; ; attempt++) {
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment count = a.allocate(JAVA_INT);
                        count.set(JAVA_INT, 0, capacity);
                        MemorySegment infos = a.allocate(processLayout, capacity);
                        int rc = (int) processes.invokeExact(handle, count, infos);
                        int n = count.get(JAVA_INT, 0);
                        if (rc == ERROR_INSUFFICIENT_SIZE && attempt < SIZE_RETRIES) {
                            // n is how many there are now; leave room for processes starting meanwhile.
                            capacity = Math.max(capacity * 2, n + 8);
                            continue;
                        }
                        check(rc, processSymbol);
                        if (n < 0 || n > capacity) {
                            throw new NvmlException(ERROR_UNKNOWN, processSymbol + " reported " + n
                                    + " processes for an array of " + capacity);
                        }
                        return read(infos, n);
                    }
                }
            });
        }

        /**
         * Device memory of the process {@code pid} (the sum of its entries: under MIG a process can have several), 0
         * when it is not listed (no CUDA context on the device, or a PID from another namespace), -1 when NVML lists it
         * without its memory.
         */
        public long processMemory(long pid) throws NvmlException {
            long sum = 0;
            for (NvmlProcess p : computeProcesses()) {
                if (p.pid() == pid) {
                    if (!p.memoryKnown()) {
                        return -1;
                    }
                    sum += p.usedGpuMemory();
                }
            }
            return sum;
        }

        private List<NvmlProcess> read(MemorySegment infos, int n) {
            boolean v1 = processLayout == PROCESS_INFO_V1;
            List<NvmlProcess> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                MemorySegment e = infos.asSlice(i * processLayout.byteSize(), processLayout.byteSize());
                long pid = Integer.toUnsignedLong(e.get(JAVA_INT, 0));
                long used = e.get(JAVA_LONG, 8);
                int gi = v1 ? -1 : e.get(JAVA_INT, 16);
                int ci = v1 ? -1 : e.get(JAVA_INT, 20);
                list.add(new NvmlProcess(pid, used < 0 ? -1 : used, gi, ci));
            }
            return List.copyOf(list);
        }
    }

    // ------------------------------------------------------------------ plumbing

    @FunctionalInterface
    private interface NativeCall<T> {
        T run() throws Throwable;
    }

    /** Runs a call unless closed; NVML errors pass through, anything else becomes an {@link NvmlException}. */
    private <T> T call(NativeCall<T> body) throws NvmlException {
        lock.readLock().lock();
        try {
            if (closed) {
                throw new NvmlException(NvmlException.NOT_NVML, "NVML is closed");
            }
            return body.run();
        } catch (NvmlException e) {
            throw e;
        } catch (Throwable t) {
            throw new NvmlException("NVML call failed: " + t, t);
        } finally {
            lock.readLock().unlock();
        }
    }

    private void check(int rc, String what) throws NvmlException {
        if (rc != SUCCESS) {
            throw new NvmlException(rc, what + ": " + errorString(rc) + " (" + rc + ")");
        }
    }

    private static MethodHandle required(Linker linker, SymbolLookup lookup, String name, FunctionDescriptor fd)
            throws NvmlException {
        MethodHandle h = optional(linker, lookup, name, fd);
        if (h == null) {
            throw new NvmlException(ERROR_FUNCTION_NOT_FOUND, "libnvidia-ml has no symbol " + name
                    + " (a driver older than NVML's v2 API?)");
        }
        return h;
    }

    private static MethodHandle optional(Linker linker, SymbolLookup lookup, String name, FunctionDescriptor fd) {
        return lookup.find(name).map(s -> linker.downcallHandle(s, fd)).orElse(null);
    }

    private static VarHandle field(StructLayout layout, String name) {
        // (MemorySegment, long base offset) -> value
        return layout.varHandle(MemoryLayout.PathElement.groupElement(name));
    }

    static {
        if (MEMORY.byteSize() != 24 || PROCESS_INFO.byteSize() != 24 || PROCESS_INFO_V1.byteSize() != 16) {
            throw new AssertionError("NVML struct layouts do not have nvml.h's sizes");
        }
    }
}
