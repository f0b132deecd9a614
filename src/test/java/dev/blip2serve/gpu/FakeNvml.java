package dev.blip2serve.gpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * An NVML written in Java, reached through the same C ABI as {@code libnvidia-ml.so.1}: every function is an FFM
 * upcall stub (a real native function pointer) found through {@link #lookup()}, so {@link Nvml} calls it exactly as it
 * calls the driver's library: out-parameters are raw pointers the fake writes through, structs are written at the
 * offsets nvml.h gives them (not through {@link Nvml}'s layouts), errors are {@code nvmlReturn_t} codes and
 * {@code nvmlErrorString} hands out C strings.
 *
 * <p>Knobs (set them before or between calls): {@link #initResult}, {@link #missing} symbols, the device's memory,
 * the process list ({@link #processes}), {@link #alwaysTooSmall}. Counters: init, shutdown, process-list calls and
 * their {@code NVML_ERROR_INSUFFICIENT_SIZE} answers. The upcalls never throw (a Java exception in an upcall kills the
 * JVM): anything unexpected becomes {@code NVML_ERROR_UNKNOWN}.
 */
public final class FakeNvml implements AutoCloseable {

    /** Where the fake's device handles point (never dereferenced: {@code nvmlDevice_t} is opaque). */
    public static final long HANDLE_BASE = 0x5ee0_0000L;
    /** {@code NVML_VALUE_NOT_AVAILABLE}. */
    public static final long NOT_AVAILABLE = -1L;

    // nvml.h struct offsets, written out rather than taken from Nvml's layouts:
    // nvmlMemory_t { u64 total @0; u64 free @8; u64 used @16 } = 24 bytes
    // nvmlProcessInfo_t (v2/v3) { u32 pid @0; pad @4; u64 usedGpuMemory @8; u32 gpuInstanceId @16; u32 computeInstanceId @20 } = 24
    // nvmlProcessInfo_v1_t { u32 pid @0; pad @4; u64 usedGpuMemory @8 } = 16
    private static final int INFO_SIZE = 24;
    private static final int INFO_V1_SIZE = 16;

    /** One entry of the process list; {@code used} may be a supplier so it can follow something real. */
    public record Proc(long pid, LongSupplier used, int gpuInstance, int computeInstance) {
        public static Proc of(long pid, long used) {
            return new Proc(pid, () -> used, 0xFFFF_FFFF, 0xFFFF_FFFF);
        }
    }

    private final Arena arena = Arena.ofShared();
    private final Map<String, MemorySegment> symbols = new HashMap<>();
    private final Map<Integer, MemorySegment> errorStrings = new ConcurrentHashMap<>();

    public volatile int initResult = Nvml.SUCCESS;
    public volatile int deviceCount = 1;
    public volatile long total = 80L << 30;
    /** Used memory beyond the processes' (the driver's reservations). */
    public volatile long driverReserved = 512L << 20;
    public volatile Supplier<List<Proc>> processes = List::of;
    public volatile boolean alwaysTooSmall;
    public volatile int memoryResult = Nvml.SUCCESS;
    public volatile int processResult = Nvml.SUCCESS;
    public final Set<String> missing = ConcurrentHashMap.newKeySet();

    public final AtomicInteger initCalls = new AtomicInteger();
    public final AtomicInteger shutdownCalls = new AtomicInteger();
    public final AtomicInteger processCalls = new AtomicInteger();
    public final AtomicInteger tooSmallAnswers = new AtomicInteger();
    /** Which process-list symbol was called last. */
    public volatile String lastProcessSymbol;

    public FakeNvml() {
        Linker linker = Linker.nativeLinker();
        MethodHandles.Lookup l = MethodHandles.lookup();
        try {
            stub(linker, l, "nvmlInit_v2", "init", FunctionDescriptor.of(JAVA_INT));
            stub(linker, l, "nvmlShutdown", "shutdown", FunctionDescriptor.of(JAVA_INT));
            stub(linker, l, "nvmlErrorString", "errorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
            stub(linker, l, "nvmlDeviceGetCount_v2", "count", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            stub(linker, l, "nvmlDeviceGetHandleByIndex_v2", "handleByIndex", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
            stub(linker, l, "nvmlDeviceGetMemoryInfo", "memoryInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
            stub(linker, l, "nvmlDeviceGetName", "name", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
            stub(linker, l, "nvmlSystemGetDriverVersion", "driverVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
            FunctionDescriptor list = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
            MethodHandle processList = l.findVirtual(FakeNvml.class, "processList", MethodType.methodType(int.class,
                    String.class, int.class, MemorySegment.class, MemorySegment.class, MemorySegment.class)).bindTo(this);
            for (String s : List.of("nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2",
                    "nvmlDeviceGetComputeRunningProcesses")) {
                MethodHandle h = MethodHandles.insertArguments(processList, 0, s, s.endsWith("ses") ? INFO_V1_SIZE : INFO_SIZE);
                symbols.put(s, linker.upcallStub(h, list, arena));
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The fake's symbols, minus {@link #missing}. */
    public SymbolLookup lookup() {
        return name -> missing.contains(name) ? Optional.empty() : Optional.ofNullable(symbols.get(name));
    }

    /** Used memory as nvmlDeviceGetMemoryInfo reports it: the driver's plus every process's known memory. */
    public long used() {
        long u = driverReserved;
        for (Proc p : processes.get()) {
            long b = p.used().getAsLong();
            u += b > 0 ? b : 0;
        }
        return u;
    }

    private void stub(Linker linker, MethodHandles.Lookup l, String symbol, String method, FunctionDescriptor fd)
            throws ReflectiveOperationException {
        MethodHandle h = l.findVirtual(FakeNvml.class, method, fd.toMethodType()).bindTo(this);
        symbols.put(symbol, linker.upcallStub(h, fd, arena));
    }

    // ------------------------------------------------------------------ the C functions

    private int init() {
        initCalls.incrementAndGet();
        return initResult;
    }

    private int shutdown() {
        shutdownCalls.incrementAndGet();
        return Nvml.SUCCESS;
    }

    private MemorySegment errorString(int code) {
        return errorStrings.computeIfAbsent(code, c -> arena.allocateFrom(switch (c) {
            case Nvml.SUCCESS -> "Success";
            case Nvml.ERROR_UNINITIALIZED -> "Uninitialized";
            case Nvml.ERROR_INVALID_ARGUMENT -> "Invalid Argument";
            case Nvml.ERROR_NOT_SUPPORTED -> "Not Supported";
            case Nvml.ERROR_NO_PERMISSION -> "Insufficient Permissions";
            case Nvml.ERROR_INSUFFICIENT_SIZE -> "Insufficient Size";
            case Nvml.ERROR_DRIVER_NOT_LOADED -> "Driver Not Loaded";
            default -> "Unknown Error";
        }));
    }

    private int count(MemorySegment out) {
        if (initCalls.get() == 0 || out.equals(MemorySegment.NULL)) {
            return initCalls.get() == 0 ? Nvml.ERROR_UNINITIALIZED : Nvml.ERROR_INVALID_ARGUMENT;
        }
        out.reinterpret(4).set(JAVA_INT, 0, deviceCount);
        return Nvml.SUCCESS;
    }

    private int handleByIndex(int index, MemorySegment out) {
        if (initCalls.get() == 0) {
            return Nvml.ERROR_UNINITIALIZED;
        }
        if (index < 0 || index >= deviceCount || out.equals(MemorySegment.NULL)) {
            return Nvml.ERROR_INVALID_ARGUMENT;
        }
        out.reinterpret(ADDRESS.byteSize()).set(ADDRESS, 0, MemorySegment.ofAddress(HANDLE_BASE + index));
        return Nvml.SUCCESS;
    }

    private boolean validHandle(MemorySegment device) {
        long a = device.address() - HANDLE_BASE;
        return a >= 0 && a < deviceCount;
    }

    private int memoryInfo(MemorySegment device, MemorySegment memory) {
        try {
            if (!validHandle(device) || memory.equals(MemorySegment.NULL)) {
                return Nvml.ERROR_INVALID_ARGUMENT;
            }
            if (memoryResult != Nvml.SUCCESS) {
                return memoryResult;
            }
            long used = used();
            MemorySegment m = memory.reinterpret(24);
            m.set(JAVA_LONG, 0, total);
            m.set(JAVA_LONG, 8, total - used);
            m.set(JAVA_LONG, 16, used);
            return Nvml.SUCCESS;
        } catch (RuntimeException e) {
            return Nvml.ERROR_UNKNOWN;
        }
    }

    private int name(MemorySegment device, MemorySegment buf, int length) {
        byte[] name = ("Fake H100 " + (device.address() - HANDLE_BASE)).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (!validHandle(device)) {
            return Nvml.ERROR_INVALID_ARGUMENT;
        }
        if (length < name.length + 1) {
            return Nvml.ERROR_INSUFFICIENT_SIZE;
        }
        MemorySegment b = buf.reinterpret(length);
        MemorySegment.copy(name, 0, b, JAVA_BYTE_LAYOUT, 0, name.length);
        b.set(JAVA_BYTE_LAYOUT, name.length, (byte) 0);
        return Nvml.SUCCESS;
    }

    private static final java.lang.foreign.ValueLayout.OfByte JAVA_BYTE_LAYOUT = java.lang.foreign.ValueLayout.JAVA_BYTE;

    private int driverVersion(MemorySegment buf, int length) {
        byte[] v = "580.95.05".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        MemorySegment b = buf.reinterpret(length);
        MemorySegment.copy(v, 0, b, JAVA_BYTE_LAYOUT, 0, v.length);
        b.set(JAVA_BYTE_LAYOUT, v.length, (byte) 0);
        return Nvml.SUCCESS;
    }

    /** nvmlDeviceGetComputeRunningProcesses(_v2/_v3)(device, unsigned int *infoCount, nvmlProcessInfo_t *infos). */
    private int processList(String symbol, int entrySize, MemorySegment device, MemorySegment infoCount, MemorySegment infos) {
        try {
            processCalls.incrementAndGet();
            lastProcessSymbol = symbol;
            if (!validHandle(device) || infoCount.equals(MemorySegment.NULL)) {
                return Nvml.ERROR_INVALID_ARGUMENT;
            }
            if (processResult != Nvml.SUCCESS) {
                return processResult;
            }
            MemorySegment count = infoCount.reinterpret(4);
            int capacity = count.get(JAVA_INT, 0);
            List<Proc> now = processes.get();
            if (alwaysTooSmall || now.size() > capacity) {
                // NVML: the array is too small; *infoCount is set to the number needed.
                tooSmallAnswers.incrementAndGet();
                count.set(JAVA_INT, 0, alwaysTooSmall ? capacity + 1 : now.size());
                return Nvml.ERROR_INSUFFICIENT_SIZE;
            }
            if (!now.isEmpty() && infos.equals(MemorySegment.NULL)) {
                return Nvml.ERROR_INVALID_ARGUMENT;
            }
            MemorySegment out = infos.reinterpret((long) capacity * entrySize);
            for (int i = 0; i < now.size(); i++) {
                Proc p = now.get(i);
                long base = (long) i * entrySize;
                out.set(JAVA_INT, base, (int) p.pid());
                out.set(JAVA_INT, base + 4, 0xDEADBEEF); // padding: garbage a reader must skip
                out.set(JAVA_LONG, base + 8, p.used().getAsLong());
                if (entrySize == INFO_SIZE) {
                    out.set(JAVA_INT, base + 16, p.gpuInstance());
                    out.set(JAVA_INT, base + 20, p.computeInstance());
                }
            }
            count.set(JAVA_INT, 0, now.size());
            return Nvml.SUCCESS;
        } catch (RuntimeException e) {
            return Nvml.ERROR_UNKNOWN;
        }
    }

    /** Frees the upcall stubs; nothing may call them afterwards. */
    @Override
    public void close() {
        arena.close();
    }
}
