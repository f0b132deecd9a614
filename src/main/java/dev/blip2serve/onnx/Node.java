package dev.blip2serve.onnx;

import java.util.List;
import java.util.Map;

/**
 * One operator application.
 *
 * @param name       unique, path-like node name ({@code /lm/layers.3/attn/q_proj/MatMul})
 * @param domain     "" for the ONNX domain, {@code com.microsoft} for ONNX Runtime contrib ops
 * @param attributes values are Long, Double, String, long[], float[] or {@link TensorData}
 */
public record Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                   Map<String, Object> attributes) {
}
