package dev.blip2serve.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.blip2serve.blip2.OptDecoderGraph;
import dev.blip2serve.generation.CausalLm;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The OPT decoder graph as a {@link CausalLm}. The present key/values of one step are fed back as the
 * next step's past without leaving ONNX Runtime's buffers; only beam reordering copies them. The logits of every
 * step land in one direct buffer per generation (a pinned output) and are read into the same row arrays at every
 * step: a step's logits are valid until the next step of its generation.
 */
public final class OrtCausalLm implements CausalLm, AutoCloseable {

    private final OrtSession session;
    private final int layers;
    private final int heads;
    private final int headDim;
    private final int hidden;
    private final int vocab;
    /** The outputs other than the logits: the present keys and values. */
    private final Set<String> presents = new LinkedHashSet<>();

    public OrtCausalLm(Path model, int layers, int heads, int hidden, int vocab, OrtOptions options) throws OrtException {
        this.session = Sessions.open(model, options);
        this.layers = layers;
        this.heads = heads;
        this.headDim = hidden / heads;
        this.hidden = hidden;
        this.vocab = vocab;
        for (int i = 0; i < layers; i++) {
            presents.add(OptDecoderGraph.presentKey(i));
            presents.add(OptDecoderGraph.presentValue(i));
        }
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    /**
     * The KV cache: either ONNX Runtime's outputs of the last step, or tensors made by {@link #select}; and the
     * buffer and rows the logits of its generation's steps land in (null until the first step).
     */
    private final class KvState implements State {
        private final int rows;
        private final int length;
        private final OnnxTensor[] keys;
        private final OnnxTensor[] values;
        private final AutoCloseable owner;
        private final Logits logits;

        KvState(int rows, int length, OnnxTensor[] keys, OnnxTensor[] values, AutoCloseable owner, Logits logits) {
            this.rows = rows;
            this.length = length;
            this.keys = keys;
            this.values = values;
            this.owner = owner;
            this.logits = logits;
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public void close() {
            try {
                if (owner != null) {
                    owner.close();
                } else {
                    for (int i = 0; i < layers; i++) {
                        keys[i].close();
                        values[i].close();
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException("closing KV cache", e);
            }
        }
    }

    @Override
    public Step prefill(float[] prefix, int prefixLen, long[] tokens, int tokenLen, long[] mask, int rows) {
        OnnxTensor[] empty = new OnnxTensor[layers];
        try {
            for (int i = 0; i < layers; i++) {
                empty[i] = OnnxTensor.createTensor(Sessions.env(), FloatBuffer.allocate(0), new long[] {rows, heads, 0, headDim});
            }
            KvState none = new KvState(rows, 0, empty, empty, null, null);
            try {
                return run(prefix, prefixLen, tokens, tokenLen, mask, rows, none);
            } finally {
                for (OnnxTensor t : empty) {
                    t.close();
                }
            }
        } catch (OrtException e) {
            throw new InferenceException("decoder prefill failed: " + e.getMessage(), e);
        }
    }

    /** Logits for the last {@code keep} positions [rows, keep, V], for teacher-forced checks. */
    public float[] logits(float[] prefix, int prefixLen, long[] tokens, int tokenLen, long[] mask, int rows, int keep) {
        OnnxTensor[] empty = new OnnxTensor[layers];
        try {
            for (int i = 0; i < layers; i++) {
                empty[i] = OnnxTensor.createTensor(Sessions.env(), FloatBuffer.allocate(0), new long[] {rows, heads, 0, headDim});
            }
            try (OrtSession.Result r = session.run(inputs(prefix, prefixLen, tokens, tokenLen, mask, rows,
                    new KvState(rows, 0, empty, empty, null, null), keep))) {
                return OrtOutputs.floats((OnnxTensor) r.get(OptDecoderGraph.LOGITS).orElseThrow());
            } finally {
                for (OnnxTensor t : empty) {
                    t.close();
                }
            }
        } catch (OrtException e) {
            throw new InferenceException("decoder failed: " + e.getMessage(), e);
        }
    }

    @Override
    public Step next(State state, long[] tokens, long[] mask) {
        KvState kv = (KvState) state;
        try {
            return run(new float[0], 0, tokens, 1, mask, kv.rows, kv);
        } catch (OrtException e) {
            throw new InferenceException("decoder step failed: " + e.getMessage(), e);
        }
    }

    private Map<String, OnnxTensor> inputs(float[] prefix, int prefixLen, long[] tokens, int tokenLen, long[] mask,
                                           int rows, KvState past, int keep) throws OrtException {
        Map<String, OnnxTensor> in = new HashMap<>();
        in.put(OptDecoderGraph.INPUTS_EMBEDS, OnnxTensor.createTensor(Sessions.env(), FloatBuffer.wrap(prefix), new long[] {rows, prefixLen, hidden}));
        in.put(OptDecoderGraph.INPUT_IDS, OnnxTensor.createTensor(Sessions.env(), LongBuffer.wrap(tokens), new long[] {rows, tokenLen}));
        in.put(OptDecoderGraph.ATTENTION_MASK, OnnxTensor.createTensor(Sessions.env(), LongBuffer.wrap(mask), new long[] {rows, mask.length / rows}));
        in.put(OptDecoderGraph.LOGITS_TO_KEEP, OnnxTensor.createTensor(Sessions.env(), LongBuffer.wrap(new long[] {keep}), new long[] {1}));
        for (int i = 0; i < layers; i++) {
            in.put(OptDecoderGraph.pastKey(i), past.keys[i]);
            in.put(OptDecoderGraph.pastValue(i), past.values[i]);
        }
        return in;
    }

    private Step run(float[] prefix, int prefixLen, long[] tokens, int tokenLen, long[] mask, int rows,
                     KvState past) throws OrtException {
        Map<String, OnnxTensor> in = inputs(prefix, prefixLen, tokens, tokenLen, mask, rows, past, 1);
        Logits out = past.logits != null ? past.logits : new Logits(rows, vocab);
        OrtSession.Result result;
        try (OnnxTensor pinned = OnnxTensor.createTensor(Sessions.env(), out.buffer, new long[] {rows, 1, vocab})) {
            result = session.run(in, presents, Map.of(OptDecoderGraph.LOGITS, pinned));
        } finally {
            closeOwnInputs(in);
        }
        for (int r = 0; r < rows; r++) {
            out.buffer.get(r * vocab, out.rows[r]);
        }
        OnnxTensor[] keys = new OnnxTensor[layers];
        OnnxTensor[] values = new OnnxTensor[layers];
        for (int i = 0; i < layers; i++) {
            keys[i] = (OnnxTensor) result.get(OptDecoderGraph.presentKey(i)).orElseThrow();
            values[i] = (OnnxTensor) result.get(OptDecoderGraph.presentValue(i)).orElseThrow();
        }
        int length = (int) keys[0].getInfo().getShape()[2];
        return new Step(out.rows, new KvState(rows, length, keys, values, result, out));
    }

    private static void closeOwnInputs(Map<String, OnnxTensor> in) {
        in.get(OptDecoderGraph.INPUTS_EMBEDS).close();
        in.get(OptDecoderGraph.INPUT_IDS).close();
        in.get(OptDecoderGraph.ATTENTION_MASK).close();
        in.get(OptDecoderGraph.LOGITS_TO_KEEP).close();
    }

    /** One generation's last-position logits: ONNX Runtime writes the buffer, the generator reads the rows. */
    private static final class Logits {
        final FloatBuffer buffer;
        final float[][] rows;

        Logits(int rows, int vocab) {
            this.buffer = ByteBuffer.allocateDirect(rows * vocab * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
            this.rows = new float[rows][vocab];
        }
    }

    @Override
    public State select(State state, int[] sourceRows) {
        KvState kv = (KvState) state;
        int rowSize = heads * kv.length * headDim;
        OnnxTensor[] keys = new OnnxTensor[layers];
        OnnxTensor[] values = new OnnxTensor[layers];
        try {
            for (int i = 0; i < layers; i++) {
                keys[i] = gatherRows(kv.keys[i], sourceRows, rowSize, kv.length);
                values[i] = gatherRows(kv.values[i], sourceRows, rowSize, kv.length);
            }
        } catch (OrtException e) {
            throw new InferenceException("reordering the KV cache failed: " + e.getMessage(), e);
        }
        return new KvState(sourceRows.length, kv.length, keys, values, null,
                sourceRows.length == kv.rows ? kv.logits : null);
    }

    private OnnxTensor gatherRows(OnnxTensor t, int[] rows, int rowSize, int length) throws OrtException {
        FloatBuffer src = t.getFloatBuffer();
        FloatBuffer dst = ByteBuffer.allocateDirect(rows.length * rowSize * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int r : rows) {
            dst.put(src.slice(r * rowSize, rowSize));
        }
        dst.rewind();
        return OnnxTensor.createTensor(Sessions.env(), dst, new long[] {rows.length, heads, length, headDim});
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
