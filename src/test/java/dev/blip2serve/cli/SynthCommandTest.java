package dev.blip2serve.cli;

import static dev.blip2serve.cli.CliRun.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.checkpoint.Checkpoint;
import dev.blip2serve.checkpoint.DType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code synth} as a user runs it. */
class SynthCommandTest {

    @Test
    void writesTheTinyShape(@TempDir Path tmp) {
        Path dir = tmp.resolve("tiny");
        CliRun r = cli("synth", "--shape", "tiny", "--out", dir.toString(), "--dtype", "f16", "--seed", "3");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("tiny: ").contains(" tensors, ").contains("1 weight file(s)");
        assertThat(Blip2Config.read(dir).text().vocabSize()).isEqualTo(50272);
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertThat(c.info("language_model.lm_head.weight").dtype()).isEqualTo(DType.F16);
        }
        CliRun again = cli("synth", "--shape", "tiny", "--out", dir.toString());
        assertThat(again.exit()).isEqualTo(Cli.BAD_INPUT);
        assertThat(again.err()).contains("already holds");
    }

    @Test
    void sparseWritesTheFullSizeHeadersOnly(@TempDir Path tmp) {
        CliRun r = cli("synth", "--shape", "opt-2.7b", "--out", tmp.resolve("x").toString(), "--sparse");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("opt-2.7b: 1359 tensors, 3.930 B parameters").contains("2 weight file(s)");
    }

    @Test
    void badArgumentsAreOneLineErrors(@TempDir Path tmp) {
        CliRun shape = cli("synth", "--shape", "opt-175b", "--out", tmp.resolve("x").toString());
        assertThat(shape.exit()).isEqualTo(Cli.BAD_INPUT);
        assertThat(shape.err()).contains("unknown shape 'opt-175b'").doesNotContain("\tat ");
        CliRun dtype = cli("synth", "--shape", "tiny", "--out", tmp.resolve("y").toString(), "--dtype", "bf16");
        assertThat(dtype.exit()).isEqualTo(Cli.BAD_INPUT);
        assertThat(dtype.err()).contains("--dtype must be f32 or f16");
    }
}
