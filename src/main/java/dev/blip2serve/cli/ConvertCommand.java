package dev.blip2serve.cli;

import dev.blip2serve.convert.Blip2Converter;
import dev.blip2serve.convert.FloatVariant;
import dev.blip2serve.repository.Manifest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code convert}: a Hugging Face BLIP-2 checkpoint to float variants in a model repository. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Build ONNX graphs from a Hugging Face BLIP-2 (OPT) checkpoint into <repo>/<name>/<precision>/.")
final class ConvertCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "HF checkpoint folder (config.json, safetensors, tokenizer.json, preprocessor_config.json)")
    Path checkpoint;

    @Option(names = "--repo", required = true, paramLabel = "DIR", description = "model repository root")
    Path repo;

    @Option(names = "--name", paramLabel = "NAME", description = "model name in the repository (default: the checkpoint folder's name)")
    String name;

    @Option(names = "--precision", split = ",", defaultValue = "fp32,fp16", paramLabel = "P[,P]",
            description = "float variants to write: fp32, fp16 (fp16 weights, fp32 compute), fp16-compute (fp16 "
                    + "weights and compute, as HF with dtype=float16; for CUDA) (default: ${DEFAULT-VALUE})")
    List<String> precisions;

    @Override
    public Integer call() throws Exception {
        String model = name != null ? name : checkpoint.toAbsolutePath().normalize().getFileName().toString();
        if (!model.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("--name must be letters, digits, '.', '_' or '-', got '" + model + "'");
        }
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        List<FloatVariant> variants = new ArrayList<>();
        for (String p : precisions) {
            try {
                variants.add(FloatVariant.parse(p));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--precision: " + e.getMessage() + " (quantized variants: use quantize)");
            }
        }
        for (FloatVariant v : variants) {
            String variant = v.label();
            Blip2Converter.Request request = Blip2Converter.Request.of(checkpoint, repo, model, v);
            Path dir = request.variantDir();
            ProgressBar bar = new ProgressBar(err);
            long t0 = System.nanoTime();
            Manifest m = Blip2Converter.convert(request, bar);
            bar.finishLine();
            out.printf("%s: %s in %.1f s (%s)%n", variant, dir, (System.nanoTime() - t0) / 1e9, ProgressBar.bytes(m.totalBytes()));
        }
        return 0;
    }
}
