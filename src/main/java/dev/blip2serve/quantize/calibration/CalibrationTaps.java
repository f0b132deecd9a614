package dev.blip2serve.quantize.calibration;

import dev.blip2serve.blip2.LinearEmitter;
import dev.blip2serve.onnx.Dim;
import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.Ops;
import dev.blip2serve.onnx.Value;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A {@link LinearEmitter} that computes like the float one and also exposes every selected linear's input as an
 * extra graph output {@code calib/<linear name>} {@code [batch, sequence, K]}. Linears reading the same tensor
 * (q/k/v) share one output, named after the first of them; {@link #taps()} maps every linear to its output.
 */
public final class CalibrationTaps implements LinearEmitter {

    /** Prefix of the extra outputs. */
    public static final String PREFIX = "calib/";

    private final LinearEmitter delegate;
    private final Predicate<String> selected;
    private final Map<String, String> byValue = new HashMap<>();
    private final Map<String, String> taps = new LinkedHashMap<>();

    /** @param selected which linears to tap (by logical name) */
    public CalibrationTaps(LinearEmitter delegate, Predicate<String> selected) {
        this.delegate = delegate;
        this.selected = selected;
    }

    @Override
    public Value linear(Ops ops, Value x, String name) {
        if (selected.test(name)) {
            String out = byValue.get(x.name());
            if (out == null) {
                out = PREFIX + name;
                byValue.put(x.name(), out);
                ops.graph().output(x, out, ElementType.FLOAT, Dim.of("calib_batch"), Dim.of("calib_sequence"),
                        Dim.of("calib_k"));
            }
            taps.put(name, out);
        }
        return delegate.linear(ops, x, name);
    }

    /** Linear name -> output name, in graph order. */
    public Map<String, String> taps() {
        return Collections.unmodifiableMap(taps);
    }
}
