package dev.blip2serve.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.blip2serve.blip2.VisionGraph;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** Runs the vision graph: pixel_values [B,3,H,W] -> query embeddings [B,Q,D] (and, on request, the ViT / Q-Former outputs). */
public final class VisionRunner implements AutoCloseable {

    private final OrtSession session;
    private final int imageSize;

    public VisionRunner(Path model, int imageSize, OrtOptions options) throws OrtException {
        this.session = Sessions.open(model, options);
        this.imageSize = imageSize;
    }

    /** Query embeddings [batch, Q, D], flattened. */
    public float[] queryEmbeds(float[] pixels, int batch) throws OrtException {
        return outputs(pixels, batch, Set.of(VisionGraph.QUERY_EMBEDS)).get(VisionGraph.QUERY_EMBEDS);
    }

    /** The named outputs, flattened. */
    public Map<String, float[]> outputs(float[] pixels, int batch, Set<String> names) throws OrtException {
        long[] shape = {batch, 3, imageSize, imageSize};
        try (OnnxTensor in = OnnxTensor.createTensor(Sessions.env(), FloatBuffer.wrap(pixels), shape);
             OrtSession.Result r = session.run(Map.of(VisionGraph.PIXEL_VALUES, in), names)) {
            Map<String, float[]> out = new java.util.HashMap<>();
            for (String n : names) {
                out.put(n, OrtOutputs.floats((OnnxTensor) r.get(n).orElseThrow()));
            }
            return out;
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
