package dev.blip2serve.quantize.emit;

import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.Tensors;
import dev.blip2serve.onnx.Value;
import dev.blip2serve.quantmath.MatMulIntegerWeight;
import dev.blip2serve.quantmath.QuantSpec;
import dev.blip2serve.quantmath.WeightQuantizer;

/**
 * A linear's int8 weight as the two initializers {@code MatMulInteger} needs: codes {@code [K, N]} and scales
 * (one per tensor or per output channel). The weight is quantized once, lazily, when the writer asks for either.
 */
record Int8Weight(Value codes, Value scales) {

    /**
     * @param scalesName  initializer name suffix of the scales
     * @param perChannel  scales {@code [N]}, one per output channel; otherwise one scalar for the tensor
     */
    static Int8Weight of(EmitContext c, String name, QuantSpec spec, String scalesName, boolean perChannel) {
        if (c.weights().activationType(name) != ElementType.FLOAT) {
            throw new IllegalArgumentException(name + ": int8 linears compute in fp32 only");
        }
        int[] nk = c.weightShape(name);
        int n = nk[0];
        int k = nk[1];
        Memo<MatMulIntegerWeight> w = new Memo<>(() ->
                MatMulIntegerWeight.of(WeightQuantizer.quantize(c.loadWeight(name), n, k, spec)), 2);
        var g = c.graph();
        Value b = g.initializer(name + ".qweight", Tensors.raw(ElementType.INT8, new long[] {k, n}, () -> w.get().b()));
        long[] scaleShape = perChannel ? new long[] {n} : new long[0];
        Value s = g.initializer(name + scalesName, Tensors.floats(ElementType.FLOAT, scaleShape, () -> w.get().scales()));
        return new Int8Weight(b, s);
    }
}
