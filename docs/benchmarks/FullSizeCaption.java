// Times one variant at full size: session load, then captions of one image (vision, prefill, decode per token),
// with the process's resident memory after each phase. Single-file program, run against the project's classes:
//   java --enable-native-access=ALL-UNNAMED -cp target/classes:$(cat cp.txt) docs/benchmarks/FullSizeCaption.java \
//        VARIANT_DIR IMAGE [MAX_NEW_TOKENS=5] [RUNS=2] [THREADS=0]
// Prints one JSON object. Used for docs/benchmarks/full-size-convert.md.

import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.engine.CaptionBatch;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.runtime.OrtOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

public class FullSizeCaption {

    static Map<String, Long> memory() throws Exception {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            for (String k : List.of("VmRSS", "VmHWM", "RssAnon", "RssFile")) {
                if (line.startsWith(k + ":")) {
                    m.put(k + "_mb", Long.parseLong(line.replaceAll("\\D+", "")) / 1024);
                }
            }
        }
        return m;
    }

    public static void main(String[] args) throws Exception {
        Path variant = Path.of(args[0]);
        Path image = Path.of(args[1]);
        int maxNew = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int runs = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("variant", variant.toString());
        out.put("image", image.toString());
        out.put("max_new_tokens", maxNew);
        out.put("intra_op_threads", threads);
        out.put("memory_before_load", memory());
        long t0 = System.nanoTime();
        try (Blip2Model m = Blip2Model.open(variant, new OrtOptions(threads, false, 0), false)) {
            out.put("load_s", round((System.nanoTime() - t0) / 1e9));
            out.put("memory_after_load", memory());
            float[] pixels = m.preprocessor().preprocess(Files.readAllBytes(image));
            // No early stop: EOS is set to an id the model never emits so every run decodes maxNew tokens.
            GenerationParams p = GenerationParams.greedy(maxNew, new int[] {-1}, m.generationConfig().padTokenId());
            List<Map<String, Object>> rs = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                long s = System.nanoTime();
                CaptionBatch b = m.caption(List.of(pixels), List.of(""), p);
                double total = (System.nanoTime() - s) / 1e6;
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("total_ms", round(total));
                r.put("vision_ms", round(b.visionNanos() / 1e6));
                r.put("prefill_ms", round(b.prefillNanos() / 1e6));
                r.put("decode_ms", round(b.decodeNanos() / 1e6));
                r.put("decode_steps", b.decodeSteps());
                r.put("decode_ms_per_token", b.decodeSteps() == 0 ? null : round(b.decodeNanos() / 1e6 / b.decodeSteps()));
                r.put("token_ids", b.images().getFirst().best().tokens());
                r.put("caption", b.images().getFirst().best().text());
                r.put("memory", memory());
                rs.add(r);
            }
            out.put("runs", rs);
        }
        System.out.println(JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build().writeValueAsString(out));
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
