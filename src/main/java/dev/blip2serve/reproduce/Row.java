package dev.blip2serve.reproduce;

import dev.blip2serve.quantize.Preset;
import dev.blip2serve.quantize.Scope;
import java.util.ArrayList;
import java.util.List;

/**
 * One variant of the reproduction.
 *
 * @param variant folder name
 * @param preset  null for the fp32 baseline
 * @param scope   quantized scope
 * @param clip    AWQ clipping (null = the preset's default)
 */
public record Row(String variant, Preset preset, Scope scope, Boolean clip) {

    /** The float32 baseline. */
    public static Row fp32() {
        return new Row("fp32", null, Scope.LLM, null);
    }

    /** A preset in its default form. */
    public static Row of(Preset p) {
        return new Row(p.label(), p, Scope.LLM, null);
    }

    /** The paper's three tables plus the clipping ablation: every preset, w4a16 also with --scope all. */
    public static List<Row> all() {
        List<Row> rows = new ArrayList<>();
        rows.add(fp32());
        for (Preset p : Preset.values()) {
            rows.add(of(p));
        }
        rows.add(new Row("w4a16-all", Preset.W4A16, Scope.ALL, null));
        rows.add(new Row("w4a16-noclip", Preset.W4A16, Scope.LLM, false));
        rows.add(new Row("w3a16-noclip", Preset.W3A16, Scope.LLM, false));
        return rows;
    }

    /** The {@code quantize} options that build this row (after --checkpoint/--repo). */
    public List<String> quantizeArgs() {
        List<String> a = new ArrayList<>(List.of("--preset", preset.label()));
        if (scope != Scope.LLM) {
            a.addAll(List.of("--scope", scope.label()));
        }
        if (Boolean.FALSE.equals(clip)) {
            a.add("--no-clip");
        }
        if (!variant.equals(preset.label() + (scope == Scope.ALL ? "-all" : ""))) {
            a.addAll(List.of("--name", variant));
        }
        return a;
    }
}
