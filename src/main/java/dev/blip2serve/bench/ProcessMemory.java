package dev.blip2serve.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's resident set size (RSS) as Linux reports it ({@code VmRSS} in {@code /proc/self/status}): JVM
 * heap, metaspace and ONNX Runtime's native memory together, in bytes. Elsewhere it is unknown (-1). The one
 * reading of process memory for the benchmarks and the service's per-variant memory.
 */
public final class ProcessMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {
    }

    /** Resident bytes now, or -1 when the platform does not tell. */
    public static long residentBytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    return bytes(line.substring("VmRSS:".length()));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc is not mounted
        }
        return -1;
    }

    /** A {@code /proc} size field: a number and its unit, which Linux writes as {@code kB} (1024 bytes). */
    static long bytes(String field) {
        String[] parts = field.strip().split("\\s+");
        long value = Long.parseLong(parts[0]);
        return parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? value * 1024 : value;
    }
}
