package dev.blip2serve.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The CUDA provider's options as ONNX Runtime receives them, and the checks on the settings. */
class OrtOptionsTest {

    @Test
    void cudaOptionsCarryTheDeviceAndTheMemoryCap() {
        assertThat(new OrtOptions(0, true, 1, 6L << 30).cudaProviderOptions()).containsExactly(
                java.util.Map.entry("device_id", "1"),
                java.util.Map.entry("gpu_mem_limit", "6442450944"),
                java.util.Map.entry("arena_extend_strategy", "kSameAsRequested"),
                java.util.Map.entry("cudnn_conv_algo_search", "HEURISTIC"),
                java.util.Map.entry("do_copy_in_default_stream", "1"));
    }

    @Test
    void noCapMeansNoLimitKey() {
        assertThat(new OrtOptions(0, true, 0, 0).cudaProviderOptions()).doesNotContainKey("gpu_mem_limit")
                .containsEntry("device_id", "0");
    }

    @Test
    void negativeSettingsAreRefused() {
        assertThatThrownBy(() -> new OrtOptions(-1, false, 0, 0)).hasMessageContaining("threads");
        assertThatThrownBy(() -> new OrtOptions(0, true, -1, 0)).hasMessageContaining("device");
        assertThatThrownBy(() -> new OrtOptions(0, true, 0, -5)).hasMessageContaining("memory limit");
    }

    @Test
    void theCpuBuildSaysWhatCudaNeeds() {
        assertThatThrownBy(() -> Sessions.open(java.nio.file.Path.of("unused.onnx"), new OrtOptions(0, true, 0, 0)))
                .isInstanceOf(InferenceException.class)
                .hasMessageContaining("CUDA execution provider is not available")
                .hasMessageContaining("-Pgpu");
    }
}
