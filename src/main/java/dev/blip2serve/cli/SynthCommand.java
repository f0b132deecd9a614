package dev.blip2serve.cli;

import dev.blip2serve.synthetic.StorageType;
import dev.blip2serve.synthetic.SyntheticCheckpoint;
import dev.blip2serve.synthetic.SyntheticShape;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code synth}: a BLIP-2 checkpoint with random weights in the hub's layout, for scale and speed tests. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Write a Hugging Face BLIP-2 (OPT) checkpoint with random weights, laid out like the hub's "
                + "Salesforce/blip2-opt-2.7b / -6.7b (float32: ~15.5 GB / ~31 GB).",
                "For size and speed tests only: the weights are noise and the tokenizer is the 401-token shapes-blip2 one."})
final class SynthCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--shape", required = true, paramLabel = "SHAPE", description = "opt-2.7b, opt-6.7b or tiny")
    String shape;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "checkpoint folder to write (must not hold weights yet)")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32 (as on the hub) or f16 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--max-shard-size", defaultValue = "10", paramLabel = "GB",
            description = "largest shard in GB (10^9 bytes), as transformers' max_shard_size (default: ${DEFAULT-VALUE})")
    double maxShardGb;

    @Option(names = "--sparse", description = "write headers only and leave the data as holes (names, shapes, sizes; no disk use)")
    boolean sparse;

    @Override
    public Integer call() throws Exception {
        if (!(maxShardGb > 0)) {
            throw new IllegalArgumentException("--max-shard-size must be positive");
        }
        var opts = new SyntheticCheckpoint.Options(SyntheticShape.byName(shape), seed, StorageType.parse(dtype),
                (long) (maxShardGb * 1e9), sparse ? SyntheticCheckpoint.Data.SPARSE : SyntheticCheckpoint.Data.RANDOM);
        ProgressBar bar = new ProgressBar(spec.commandLine().getErr());
        long t0 = System.nanoTime();
        SyntheticCheckpoint.Written w = SyntheticCheckpoint.write(out, opts, bar::progress);
        bar.finishLine();
        spec.commandLine().getOut().printf("%s: %d tensors, %.3f B parameters, %s in %d weight file(s) -> %s in %.1f s%n",
                opts.shape().name(), w.tensors(), w.parameters() / 1e9, ProgressBar.bytes(w.weightBytes()),
                w.weightFiles().size(), out, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
