package dev.blip2serve.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class JsonKeysTest {

    @Test
    void findsCamelCaseKeysAtAnyDepthAndAcceptsSnakeCaseAndFileNames() {
        var json = JsonMapper.builder().build().readTree("""
                {"cider_d": 1, "files": {"vision.onnx": 1, "decoder.onnx.data": 2},
                 "variants": [{"batches": [{"latency_p50_ms": 1, "perTokenMs": 2}]}], "bytesOnDisk": 3,
                 "ratios": {"fp32_over_w4a16-rtn_ms_per_token": 1.5}}""");
        assertThat(JsonKeys.camelCase(json)).containsExactly("$.variants[0].batches[0].perTokenMs", "$.bytesOnDisk");
    }
}
