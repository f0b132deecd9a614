package dev.blip2serve.runtime;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How ONNX Runtime sessions are made.
 *
 * @param intraOpThreads   threads per operator; 0 lets ONNX Runtime choose (one per core)
 * @param cuda             use the CUDA execution provider (GPU build only)
 * @param cudaDevice       GPU ordinal
 * @param cudaMemoryLimit  bytes the CUDA provider's arena may hold per session; 0 = no limit
 */
public record OrtOptions(int intraOpThreads, boolean cuda, int cudaDevice, long cudaMemoryLimit) {

    public OrtOptions {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intra-op threads must not be negative, got " + intraOpThreads);
        }
        if (cudaDevice < 0) {
            throw new IllegalArgumentException("CUDA device must not be negative, got " + cudaDevice);
        }
        if (cudaMemoryLimit < 0) {
            throw new IllegalArgumentException("CUDA memory limit must not be negative, got " + cudaMemoryLimit);
        }
    }

    /** CPU with ONNX Runtime's default thread count. */
    public static OrtOptions cpu() {
        return cpu(0);
    }

    /** CPU with {@code intraOpThreads} threads per operator (0 = one per core). */
    public static OrtOptions cpu(int intraOpThreads) {
        return new OrtOptions(intraOpThreads, false, 0, 0);
    }

    /**
     * The CUDA execution provider's options (ONNX Runtime's string keys). The arena grows by what is requested
     * rather than to the next power of two: a process holds several variants, and power-of-two chunks of a
     * multi-GB decoder waste most of a GPU. Only the patch embedding is a convolution, so cuDNN's heuristic choice
     * is enough and start-up skips the exhaustive search. Copies run on the compute stream (ONNX Runtime's safe
     * default).
     */
    public Map<String, String> cudaProviderOptions() {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("device_id", Integer.toString(cudaDevice));
        if (cudaMemoryLimit > 0) {
            options.put("gpu_mem_limit", Long.toString(cudaMemoryLimit));
        }
        options.put("arena_extend_strategy", "kSameAsRequested");
        options.put("cudnn_conv_algo_search", "HEURISTIC");
        options.put("do_copy_in_default_stream", "1");
        return options;
    }
}
