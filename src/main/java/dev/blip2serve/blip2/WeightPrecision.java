package dev.blip2serve.blip2;

import dev.blip2serve.onnx.ElementType;

/**
 * How float weights are stored in a graph. With {@link ComputePrecision#FP32} FLOAT16 weights are cast to
 * float32 once, when ONNX Runtime folds the Cast at session start, so an fp16 variant halves the files and keeps
 * fp32 accuracy within fp16 rounding of the weights; with {@link ComputePrecision#FP16} they are used as they are.
 */
public enum WeightPrecision {
    FP32(ElementType.FLOAT), FP16(ElementType.FLOAT16);

    private final ElementType storage;

    WeightPrecision(ElementType storage) {
        this.storage = storage;
    }

    public ElementType storage() {
        return storage;
    }
}
