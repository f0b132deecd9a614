package dev.blip2serve.serve.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's resident set size (RSS) as Linux reports it ({@code VmRSS} in {@code /proc/self/status}): JVM
 * heap, metaspace and ONNX Runtime's native memory together. Elsewhere it is unknown (-1).
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
                    String[] parts = line.substring(6).strip().split("\\s+");
                    long value = Long.parseLong(parts[0]);
                    return parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? value * 1024 : value;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc is not mounted
        }
        return -1;
    }
}
