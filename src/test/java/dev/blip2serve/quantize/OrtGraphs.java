package dev.blip2serve.quantize;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.blip2serve.onnx.GraphBuilder;
import dev.blip2serve.onnx.OnnxModelWriter;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Runs one-input, one-output float graphs built by the tests in ONNX Runtime (CPU). */
final class OrtGraphs {

    private OrtGraphs() {
    }

    /** Writes {@code g} to a temp file and runs it on {@code x} (input "x" of {@code shape}); returns output "y". */
    static float[] run(GraphBuilder g, float[] x, long... shape) throws Exception {
        Path f = Files.createTempFile("quantize-test-", ".onnx");
        try {
            new OnnxModelWriter(Long.MAX_VALUE, Map.of()).write(g, f, null);
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
                so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                try (OrtSession s = env.createSession(f.toString(), so);
                     OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                     OrtSession.Result r = s.run(Map.of("x", in))) {
                    FloatBuffer b = ((OnnxTensor) r.get("y").orElseThrow()).getFloatBuffer();
                    float[] out = new float[b.remaining()];
                    b.get(out);
                    return out;
                }
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
