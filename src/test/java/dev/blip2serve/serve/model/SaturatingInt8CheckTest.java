package dev.blip2serve.serve.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.repository.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SaturatingInt8CheckTest {

    private static Manifest withCpu(String cpu) {
        return new Manifest(Manifest.SCHEMA, "m", "w8a8", "w8a8", null, null, null,
                Map.of("language", new Manifest.Component("language.onnx", cpu, "cuda")), List.of(), "2026-12-02",
                "0", Map.of(), Map.of());
    }

    @Test
    void oldU8S8VariantsAreFlaggedOnlyWithoutVnni() {
        Manifest old = withCpu("linears: MatMulInteger u8 x s8 -> int32 (CPU int8 GEMM)");
        assertThat(SaturatingInt8Check.warning(old, Optional.of(false))).get().asString()
                .contains("saturates").contains("rebuild");
        assertThat(SaturatingInt8Check.warning(old, Optional.empty())).isPresent();
        assertThat(SaturatingInt8Check.warning(old, Optional.of(true))).isEmpty();
        Manifest now = withCpu("linears: MatMulInteger u8 x u8 -> int32 (CPU int8 GEMM)");
        assertThat(SaturatingInt8Check.warning(now, Optional.of(false))).isEmpty();
        assertThat(SaturatingInt8Check.warning(withCpu(null), Optional.of(false))).isEmpty();
    }

    @Test
    void readsVnniFromCpuFlags(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("cpuinfo");
        Files.writeString(f, "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n");
        assertThat(SaturatingInt8Check.cpuHasVnni(f)).contains(false);
        Files.writeString(f, "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni\n");
        assertThat(SaturatingInt8Check.cpuHasVnni(f)).contains(true);
        Files.writeString(f, "flags\t\t: avx2 avx_vnni\n");
        assertThat(SaturatingInt8Check.cpuHasVnni(f)).contains(true);
        assertThat(SaturatingInt8Check.cpuHasVnni(dir.resolve("missing"))).isEmpty();
    }
}
