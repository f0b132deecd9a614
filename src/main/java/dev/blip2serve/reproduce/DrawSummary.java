package dev.blip2serve.reproduce;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The acceptance checks of every calibration draw ({@link Reproduce.Draw}) and, per check of the main run, in how
 * many draws it held and the spread of its value (a ratio to fp32 or a difference of two variants) over the draws.
 *
 * @param draws         the draws, in seed order
 * @param checksPerDraw each draw's checks (CIDEr-D checks, then KL orderings), as {@link ResultsWriter} words them
 * @param summary       one entry per check of the main run that has a pass/fail verdict
 */
record DrawSummary(List<Reproduce.Draw> draws, List<List<Map<String, Object>>> checksPerDraw,
                   List<Map<String, Object>> summary) {

    /** The draws' checks, each draw's rows standing in for the main run's rows of the same variants. */
    static DrawSummary of(List<Reproduce.Draw> draws, Map<String, Reproduce.Measured> mainRows, double fp32,
                          List<Map<String, Object>> mainChecks) {
        List<List<Map<String, Object>>> perDraw = new ArrayList<>();
        for (Reproduce.Draw d : draws) {
            Map<String, Reproduce.Measured> mixed = new LinkedHashMap<>(mainRows);
            mixed.putAll(d.rows());
            List<Map<String, Object>> c = new ArrayList<>(ResultsWriter.acceptance(mixed, fp32));
            c.addAll(ResultsWriter.klOrderings(mixed));
            perDraw.add(c);
        }
        List<Map<String, Object>> summary = new ArrayList<>();
        for (Map<String, Object> c : draws.isEmpty() ? List.<Map<String, Object>>of() : mainChecks) {
            if (c.get("pass") == null) {
                continue;
            }
            List<Map<String, Object>> same = perDraw.stream().flatMap(List::stream)
                    .filter(x -> x.get("check").equals(c.get("check"))).toList();
            double[] v = same.stream().mapToDouble(x -> (Double) x.get("value")).toArray();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("check", c.get("check"));
            m.put("this_run", c.get("pass"));
            m.put("this_run_value", c.get("value"));
            m.put("draws_holding", same.stream().filter(x -> Boolean.TRUE.equals(x.get("pass"))).count());
            m.put("draws", same.size());
            m.put("mean", Arrays.stream(v).average().orElse(Double.NaN));
            m.put("min", Arrays.stream(v).min().orElse(Double.NaN));
            m.put("max", Arrays.stream(v).max().orElse(Double.NaN));
            summary.add(m);
        }
        return new DrawSummary(List.copyOf(draws), perDraw, summary);
    }

    /** Every draw with its rows (scores, calibration record, the commands that rebuild it) and its checks. */
    List<Map<String, Object>> json(Reproduce.Request req) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < draws.size(); i++) {
            Reproduce.Draw d = draws.get(i);
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("seed", d.items().seed());
            o.put("calibration_items", d.items().count());
            o.put("model", d.model());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Reproduce.Measured m : d.rows().values()) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("precision", m.row().variant());
                r.put("cider_d", ResultsWriter.cider(m));
                r.put("captions_equal_fp32", m.captionsEqualFp32());
                r.put("fidelity_kl", m.fidelity().meanKl());
                r.put("calibration", m.manifest().calibration());
                r.put("commands", Reproduce.commands(req, m.row(), d.model(), d.items()));
                rows.add(r);
            }
            o.put("rows", rows);
            o.put("checks", checksPerDraw.get(i));
            out.add(o);
        }
        return out;
    }

    /** The results page's section: the summary per check, then each draw's CIDEr-D and KL per variant. */
    void markdown(StringBuilder s) {
        Reproduce.Draw first = draws.getFirst();
        s.append("\n## Calibration draws: does a check depend on the calibration images?\n\n")
                .append("Each draw rebuilds the calibrated variants the checks compare (")
                .append(String.join(", ", first.rows().keySet())).append(") on ").append(first.items().count())
                .append(" calibration items drawn at random (seeds 1–").append(draws.size())
                .append(": `quantize ... --calibration-limit ").append(first.items().count())
                .append(" --calibration-seed S`) and evaluates them on the same dataset; fp32 and the RTN variants need ")
                .append("no calibration and are this run's. A check that holds in about half of the draws is decided by ")
                .append("which images calibrated, not by the method. Values: the ratio to fp32, or the difference of the ")
                .append("two variants (CIDEr-D, or KL for the KL orderings).\n\n")
                .append("| check | this run | holds in draws | value over the draws: mean (min … max) |\n|---|---|---:|---|\n");
        for (Map<String, Object> c : summary) {
            String check = c.get("check").toString();
            String f = check.contains(" KL ") ? "%+.2e" : check.contains(" x fp32") ? "%.3f" : "%+.4f";
            s.append("| ").append(check).append(" | ").append((Boolean) c.get("this_run") ? "holds" : "**fails**")
                    .append(" (").append(String.format(Locale.ROOT, f, (Double) c.get("this_run_value"))).append(") | ")
                    .append(c.get("draws_holding")).append(" / ").append(c.get("draws")).append(" | ")
                    .append(String.format(Locale.ROOT, f + " (" + f + " … " + f + ")", (Double) c.get("mean"),
                            (Double) c.get("min"), (Double) c.get("max"))).append(" |\n");
        }
        s.append("\nCIDEr-D (and KL) of each draw's variants:\n\n| draw |");
        first.rows().keySet().forEach(v -> s.append(' ').append(v).append(" |"));
        s.append("\n|---|").append("---:|".repeat(first.rows().size())).append('\n');
        for (Reproduce.Draw d : draws) {
            s.append("| seed ").append(d.items().seed()).append(" |");
            for (Reproduce.Measured m : d.rows().values()) {
                s.append(String.format(Locale.ROOT, " %.4f (%.2e) |", ResultsWriter.cider(m), m.fidelity().meanKl()));
            }
            s.append('\n');
        }
        s.append("\nThe draws' commands are in the JSON (`calibration_draws[].rows[].commands`).\n");
    }
}
