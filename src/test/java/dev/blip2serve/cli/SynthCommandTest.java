package dev.blip2serve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.checkpoint.Checkpoint;
import dev.blip2serve.checkpoint.DType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code synth} as a user runs it. */
class SynthCommandTest {

    record Run(int exit, String out, String err) {
    }

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void writesTheTinyShape(@TempDir Path tmp) {
        Path dir = tmp.resolve("tiny");
        Run r = cli("synth", "--shape", "tiny", "--out", dir.toString(), "--dtype", "f16", "--seed", "3");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("tiny: ").contains(" tensors, ").contains("1 weight file(s)");
        assertThat(Blip2Config.read(dir).text().vocabSize()).isEqualTo(50272);
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertThat(c.info("language_model.lm_head.weight").dtype()).isEqualTo(DType.F16);
        }
        Run again = cli("synth", "--shape", "tiny", "--out", dir.toString());
        assertThat(again.exit()).isEqualTo(Cli.BAD_INPUT);
        assertThat(again.err()).contains("already holds");
    }

    @Test
    void sparseWritesTheFullSizeHeadersOnly(@TempDir Path tmp) {
        Run r = cli("synth", "--shape", "opt-2.7b", "--out", tmp.resolve("x").toString(), "--sparse");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("opt-2.7b: 1359 tensors, 3.930 B parameters").contains("2 weight file(s)");
    }

    @Test
    void badArgumentsAreOneLineErrors(@TempDir Path tmp) {
        Run shape = cli("synth", "--shape", "opt-175b", "--out", tmp.resolve("x").toString());
        assertThat(shape.exit()).isEqualTo(Cli.BAD_INPUT);
        assertThat(shape.err()).contains("unknown shape 'opt-175b'").doesNotContain("\tat ");
        Run dtype = cli("synth", "--shape", "tiny", "--out", tmp.resolve("y").toString(), "--dtype", "bf16");
        assertThat(dtype.exit()).isEqualTo(Cli.BAD_INPUT);
        assertThat(dtype.err()).contains("--dtype must be f32 or f16");
    }
}
