package dev.blip2serve.runtime;

import ai.onnxruntime.OnnxTensor;
import java.nio.FloatBuffer;

/** Copies ONNX Runtime outputs to Java arrays. */
final class OrtOutputs {

    private OrtOutputs() {
    }

    static float[] floats(OnnxTensor t) {
        FloatBuffer b = t.getFloatBuffer();
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
    }
}
