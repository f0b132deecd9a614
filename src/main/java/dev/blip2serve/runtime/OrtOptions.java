package dev.blip2serve.runtime;

/**
 * How ONNX Runtime sessions are made.
 *
 * @param intraOpThreads threads per operator; 0 lets ONNX Runtime choose (one per core)
 * @param cuda           use the CUDA execution provider (GPU build only)
 * @param cudaDevice     GPU ordinal
 */
public record OrtOptions(int intraOpThreads, boolean cuda, int cudaDevice) {

    public static OrtOptions cpu() {
        return new OrtOptions(0, false, 0);
    }
}
