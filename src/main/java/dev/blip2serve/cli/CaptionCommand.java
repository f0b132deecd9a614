package dev.blip2serve.cli;

import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.engine.CaptionBatch;
import dev.blip2serve.engine.CaptionText;
import dev.blip2serve.engine.ImageCaptions;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.image.ImageException;
import dev.blip2serve.json.ProjectJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.json.JsonMapper;

/** {@code caption}: captions images with one variant; a bad image fails alone (exit 2 at the end). */
@Command(name = "caption", mixinStandardHelpOptions = true, description = "Caption images (or answer --prompt about them) with a variant.")
final class CaptionCommand implements Callable<Integer> {

    private static final long MAX_IMAGE_BYTES = 64L << 20;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "variant folder, e.g. repo/shapes-blip2/fp32")
    Path model;

    @Option(names = "--prompt", defaultValue = "", description = "text after the image, e.g. \"Question: what color is the shirt? Answer:\"")
    String prompt;

    @Option(names = "--max-new-tokens", defaultValue = "30", description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--json", description = "one JSON object per image and line")
    boolean json;

    @Option(names = "--verify", description = "check every file's SHA-256 against the manifest before loading")
    boolean verify;

    @Mixin
    GenerationOptions generation;

    @Mixin
    RuntimeOptions runtime;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "JPEG, PNG, WebP, BMP or GIF files")
    List<Path> images;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        JsonMapper mapper = ProjectJson.compact();
        int failures = 0;
        try (Blip2Model m = Blip2Model.open(model, runtime.options(), verify)) {
            GenerationParams params = generation.params(m, maxNewTokens);
            for (Path image : images) {
                long t0 = System.nanoTime();
                float[] pixels;
                try {
                    pixels = m.preprocessor().preprocess(read(image));
                } catch (ImageException | IOException e) {
                    err.println("error: " + image + ": " + Cli.oneLine(e));
                    failures++;
                    continue;
                }
                CaptionBatch batch = m.caption(List.of(pixels), List.of(prompt), params);
                double latencyMs = (System.nanoTime() - t0) / 1e6;
                ImageCaptions result = batch.images().getFirst();
                if (json) {
                    out.println(mapper.writeValueAsString(jsonLine(image, result, latencyMs)));
                } else {
                    for (CaptionText c : result.captions()) {
                        out.println(image + "\t" + c.text());
                    }
                }
                out.flush();
            }
        }
        return failures == 0 ? 0 : Cli.BAD_INPUT;
    }

    private static byte[] read(Path image) throws IOException {
        if (!Files.exists(image)) {
            throw new NoSuchFileException(image.toString());
        }
        if (Files.size(image) > MAX_IMAGE_BYTES) {
            throw new IOException("larger than " + (MAX_IMAGE_BYTES >> 20) + " MB");
        }
        return Files.readAllBytes(image);
    }

    private Map<String, Object> jsonLine(Path image, ImageCaptions result, double latencyMs) {
        CaptionText best = result.best();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("image", image.toString());
        o.put("prompt", prompt);
        o.put("caption", best.text());
        o.put("token_ids", best.tokens());
        o.put("logprob", best.logprob());
        o.put("latency_ms", Math.round(latencyMs * 100) / 100.0);
        if (result.captions().size() > 1) {
            List<Map<String, Object>> all = new ArrayList<>();
            for (CaptionText c : result.captions()) {
                all.add(Map.of("text", c.text(), "token_ids", c.tokens(), "logprob", c.logprob(), "score", c.score()));
            }
            o.put("captions", all);
        }
        return o;
    }
}
