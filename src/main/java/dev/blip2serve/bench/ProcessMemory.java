package dev.blip2serve.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process from {@code /proc/self/status} (Linux); -1 where unavailable. */
public final class ProcessMemory {

    private ProcessMemory() {
    }

    /** Current resident set, bytes. */
    public static long residentBytes() {
        return field("VmRSS:");
    }

    /** Peak resident set since start, bytes. */
    public static long peakResidentBytes() {
        return field("VmHWM:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
