package dev.blip2serve.generation;

/**
 * A decoder-only language model seen one step at a time, with its KV cache held in an opaque
 * {@link State}. Implemented over ONNX Runtime in {@code runtime}; the search algorithms here know
 * nothing of the runtime.
 */
public interface CausalLm {

    /** The KV cache after some steps; close it when it is replaced. */
    interface State extends AutoCloseable {
        /** Rows (batch × beams) in the cache. */
        int rows();

        @Override
        void close();
    }

    /**
     * Last-position logits per row and the cache that produced them. The logits may be overwritten by the next step
     * of the same generation (implementations reuse their arrays): use or copy them before asking for it.
     */
    record Step(float[][] logits, State state) {
    }

    int vocabSize();

    /**
     * Prefill: {@code prefix} [rows, prefixLen, D] embeddings (may be empty), then {@code tokens} [rows, tokenLen],
     * under {@code mask} [rows, prefixLen + tokenLen] (1 = attend; 0 = padding).
     */
    Step prefill(float[] prefix, int prefixLen, long[] tokens, int tokenLen, long[] mask, int rows);

    /** One new token per row; {@code mask} [rows, past + 1] covers every position so far. */
    Step next(State state, long[] tokens, long[] mask);

    /** A cache whose row r is row {@code sourceRows[r]} of {@code state} (beam reordering, beam expansion). */
    State select(State state, int[] sourceRows);
}
