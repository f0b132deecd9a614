package dev.blip2serve.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.repository.Manifest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bandwidth floor counts what a decode step streams: not a token-embedding table that only a lookup reads. */
class DecoderBytesTest {

    static Manifest manifest(String decoderCpu, Map<String, Object> parameters) {
        return new Manifest(Manifest.SCHEMA, "m", "v", "p", null, new Manifest.Method("quantize", parameters), null,
                Map.of("decoder", new Manifest.Component("decoder.onnx", decoderCpu, "")),
                List.of(new Manifest.FileEntry("decoder.onnx", 1_000, ""), new Manifest.FileEntry("decoder.onnx.data", 99_000, ""),
                        new Manifest.FileEntry("vision.onnx.data", 50_000, "")),
                "", "", Map.of(), Map.of());
    }

    @Test
    void aFloatHeadStreamsTheTiedTableAQuantizedOneDoesNot() {
        long table = 2_000;   // elements of the token-embedding table
        assertThat(CaptionBenchmark.decoderWeightBytes(manifest("fp32", Map.of("lm_head", "float")), table)).isEqualTo(100_000);
        assertThat(CaptionBenchmark.decoderWeightBytes(manifest("fp32", Map.of()), table)).isEqualTo(100_000);
        assertThat(CaptionBenchmark.decoderWeightBytes(manifest("fp32", Map.of("lm_head", "int8-sym-g128")), table))
                .isEqualTo(100_000 - 4 * table);
        assertThat(CaptionBenchmark.decoderWeightBytes(manifest("fp32", Map.of("lm_head", "int8-sym-g128", "compute", "fp16")), table))
                .isEqualTo(100_000 - 2 * table);
        // fp16 weights cast to fp32 at load stream twice their bytes on disk
        assertThat(CaptionBenchmark.decoderWeightBytes(manifest("fp16 weights cast to fp32", Map.of()), table)).isEqualTo(200_000);
    }
}
