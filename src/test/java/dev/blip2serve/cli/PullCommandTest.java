package dev.blip2serve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.hub.TestHub;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pull} end to end: from a hub on 127.0.0.1 into the cache, converted or installed, then captioned. */
class PullCommandTest {

    static final Path SHAPES = Path.of("src/main/resources/models/shapes-blip2");
    static final String IMAGE = "data/shapes-blip2/eval/images/eval-0000.png";
    /** HF transformers' greedy caption of that image (data/shapes-blip2/eval/eval.json), 24 new tokens at most. */
    static final String HF_CAPTION = "a purple circle to the left of a blue diamond";

    record Run(int exit, String out, String err) {
    }

    @TempDir
    static Path tmp;

    static TestHub hub;
    static Run first;

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    static Run pull(String... args) {
        String[] all = new String[args.length + 5];
        all[0] = "pull";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--endpoint";
        all[args.length + 2] = hub.endpoint();
        all[args.length + 3] = "--cache-dir";
        all[args.length + 4] = tmp.resolve("hf-cache").toString();
        return cli(all);
    }

    @BeforeAll
    static void pullAndConvert() throws IOException {
        hub = new TestHub();
        hub.publish("test-org/shapes-blip2", SHAPES, null);
        first = pull("test-org/shapes-blip2", "--repo", tmp.resolve("repo").toString(), "--precision", "fp32");
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void aPulledCheckpointIsConvertedAndCaptionsAsTransformersDoes() {
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.out()).contains("test-org/shapes-blip2@main: commit ", "10 files")
                .contains("fp32: " + tmp.resolve("repo/shapes-blip2/fp32"));
        assertThat(first.err()).contains("model-00001-of-00003.safetensors", "100%", "/s ETA");

        Run caption = cli("caption", "--model", tmp.resolve("repo/shapes-blip2/fp32").toString(), "--max-new-tokens", "24",
                "--verify", IMAGE);
        assertThat(caption.exit()).as(caption.err()).isZero();
        assertThat(caption.out().strip()).endsWith(HF_CAPTION);
    }

    @Test
    void pullingAgainDownloadsNothingAndKeepsTheVariant() {
        Run again = pull("test-org/shapes-blip2", "--repo", tmp.resolve("repo").toString(), "--precision", "fp32");
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(again.out()).contains("(0 B downloaded").contains("already exists");
    }

    @Test
    void preQuantizedVariantsAreVerifiedInstalledAndServeCaptions() throws IOException {
        assertThat(first.exit()).isZero();
        Path published = tmp.resolve("published");
        copyTree(tmp.resolve("repo/shapes-blip2/fp32"), published.resolve("shapes-blip2/fp32"));
        hub.publish("test-org/shapes-blip2-onnx", published, null);

        Run r = pull("test-org/shapes-blip2-onnx", "--repo", tmp.resolve("repo2").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("fp32: verified and installed in " + tmp.resolve("repo2/shapes-blip2/fp32"));
        Run caption = cli("caption", "--model", tmp.resolve("repo2/shapes-blip2/fp32").toString(), "--max-new-tokens", "24",
                "--verify", IMAGE);
        assertThat(caption.exit()).as(caption.err()).isZero();
        assertThat(caption.out().strip()).endsWith(HF_CAPTION);
    }

    @Test
    void aVariantThatDoesNotMatchItsManifestIsNotInstalled() throws IOException {
        assertThat(first.exit()).isZero();
        Path published = tmp.resolve("tampered");
        copyTree(tmp.resolve("repo/shapes-blip2/fp32"), published.resolve("shapes-blip2/fp32"));
        Path decoder = published.resolve("shapes-blip2/fp32/decoder.onnx");
        byte[] b = Files.readAllBytes(decoder);
        b[b.length - 1] ^= 1; // the hub's etags are of these bytes, so only the manifest can notice
        Files.write(decoder, b);
        hub.publish("test-org/tampered", published, null);

        Run r = pull("test-org/tampered", "--repo", tmp.resolve("repo3").toString());
        assertThat(r.exit()).isEqualTo(1);
        String[] lines = r.err().strip().split("\n");
        assertThat(lines[lines.length - 1]).startsWith("error: pulled variant shapes-blip2/fp32 does not match its manifest")
                .contains("decoder.onnx: SHA-256");
        assertThat(tmp.resolve("repo3/shapes-blip2/fp32")).doesNotExist();
    }

    @Test
    void errorsAreOneLineWithTheRightExitCode() throws IOException {
        hub.publish("gated/blip2", SHAPES, "hf_secret");
        Run gated = pull("gated/blip2");
        assertThat(gated.exit()).isEqualTo(2);
        assertThat(gated.err().strip()).contains("gated", "HF_TOKEN").doesNotContain("\n");

        Run offline = pull("test-org/never-pulled", "--offline");
        assertThat(offline.exit()).isEqualTo(2);
        assertThat(offline.err()).contains("not in the cache");

        Run badId = pull("../../etc/passwd");
        assertThat(badId.exit()).isEqualTo(2);
        assertThat(badId.err()).contains("not a hub repository id");

        Run revision = pull("test-org/shapes-blip2", "--revision", "nope");
        assertThat(revision.exit()).isEqualTo(2);
        assertThat(revision.err()).contains("no such revision");

        hub.publish("test-org/not-blip2", Path.of("data/shapes-blip2/calib"), null);
        Run notModel = pull("test-org/not-blip2", "--repo", tmp.resolve("repo4").toString());
        assertThat(notModel.exit()).isEqualTo(2);
        assertThat(notModel.err()).contains("neither a checkpoint");
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
