package dev.blip2serve.serve.model;

import dev.blip2serve.repository.Manifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds W8A8 variants written before their int8 GEMM became u8 x u8: their graphs multiply uint8 activations by int8
 * weights, and ONNX Runtime's u8 x s8 CPU kernel saturates 16-bit pair sums on CPUs without VNNI (a linear was 48 %
 * off on the project's AVX2 machine: docs/QUANTIZATION.md). Such a variant still loads, since it is exact on VNNI
 * CPUs; on others the operator is told to rebuild it.
 */
final class SaturatingInt8Check {

    private static final String OLD_KERNEL = "u8 x s8";

    private SaturatingInt8Check() {
    }

    /** A warning for the log when the variant uses the old kernel and this CPU has no VNNI. */
    static Optional<String> warning(Manifest manifest) {
        return warning(manifest, cpuHasVnni(Path.of("/proc/cpuinfo")));
    }

    static Optional<String> warning(Manifest manifest, Optional<Boolean> vnni) {
        boolean old = manifest.components() != null && manifest.components().values().stream()
                .anyMatch(c -> c.cpu() != null && c.cpu().contains(OLD_KERNEL));
        if (!old || vnni.orElse(false)) {
            return Optional.empty();
        }
        return Optional.of("its int8 linears run ONNX Runtime's u8 x s8 GEMM, which saturates on CPUs without VNNI "
                + (vnni.isPresent() ? "(this one has none)" : "(this CPU's flags are unknown)")
                + ": captions may be wrong; rebuild it (quantize, or delete the folder and let the service rebuild it)");
    }

    /** Whether {@code /proc/cpuinfo} lists AVX-512 VNNI or AVX-VNNI; empty where the file cannot be read. */
    static Optional<Boolean> cpuHasVnni(Path cpuinfo) {
        try (var lines = Files.lines(cpuinfo)) {
            return Optional.of(lines.filter(l -> l.startsWith("flags")).findFirst()
                    .map(l -> l.contains(" avx512_vnni") || l.contains(" avx_vnni")).orElse(false));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
