package dev.blip2serve.checkpoint;

import static dev.blip2serve.checkpoint.StFiles.entry;
import static dev.blip2serve.checkpoint.StFiles.f32;
import static dev.blip2serve.checkpoint.StFiles.header;
import static dev.blip2serve.checkpoint.StFiles.rejects;
import static dev.blip2serve.checkpoint.StFiles.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    static final Path TINY = Path.of("src/test/resources/fixtures/tiny-blip2");
    static final Path SHAPES = Path.of("src/main/resources/models/shapes-blip2");

    @TempDir
    Path dir;

    @Nested
    class Fixtures {

        @Test
        void singleFileTinyBlip2() {
            try (Checkpoint c = Checkpoint.open(TINY)) {
                assertThat(c.dir()).isEqualTo(TINY);
                assertThat(c.files()).containsExactly(TINY.resolve(Checkpoint.SINGLE_FILE));
                assertThat(c.names()).hasSize(113)
                        .contains("query_tokens", "language_projection.weight", "vision_model.embeddings.patch_embedding.weight")
                        .doesNotContain("__metadata__");
                String emb = "language_model.model.decoder.embed_tokens.weight";
                TensorInfo t = c.info(emb);
                assertThat(t.dtype()).isEqualTo(DType.F32);
                assertThat(t.shape()).containsExactly(301, 64);
                float[] v = c.floats(emb);
                assertThat(v).hasSize(301 * 64);
                assertThat(Arrays.copyOf(v, 4)).containsExactly(-0.057842787355184555f, 0.1582401841878891f,
                        -0.09524602442979813f, 0.12233232706785202f);
                assertThat(v[v.length - 1]).isEqualTo(-0.2985322177410126f);
                assertThat(c.info("query_tokens").shape()).containsExactly(1, 8, 32);
                assertThat(c.info("vision_model.embeddings.patch_embedding.weight").shape()).containsExactly(64, 3, 8, 8);
                assertThat(c.floats("vision_model.embeddings.patch_embedding.weight")[1]).isEqualTo(-0.08361753076314926f);
                assertThat(c.bytes(emb).byteSize()).isEqualTo(301 * 64 * 4);
                assertThat(c.has(emb)).isTrue();
                assertThat(c.has("nope")).isFalse();
                assertThat(c.find("nope")).isEmpty();
            }
        }

        @Test
        void shardedShapesBlip2InFloat16() {
            try (Checkpoint c = Checkpoint.open(SHAPES)) {
                assertThat(c.files()).containsExactly(
                        SHAPES.resolve("model-00002-of-00003.safetensors"),
                        SHAPES.resolve("model-00003-of-00003.safetensors"),
                        SHAPES.resolve("model-00001-of-00003.safetensors"));
                assertThat(c.names()).hasSize(211);
                assertThat(c.names()).allSatisfy(n -> assertThat(c.info(n).dtype()).isEqualTo(DType.F16));

                // shard 1
                assertThat(c.info("query_tokens").shape()).containsExactly(1, 16, 256);
                assertThat(Arrays.copyOf(c.floats("query_tokens"), 4)).containsExactly(-0.0011043548583984375f,
                        0.01580810546875f, -0.012603759765625f, 0.0002696514129638672f);
                assertThat(c.info("vision_model.embeddings.patch_embedding.weight").shape()).containsExactly(256, 3, 8, 8);
                // shard 2
                String emb = "language_model.model.decoder.embed_tokens.weight";
                assertThat(c.info(emb).shape()).containsExactly(401, 256);
                float[] e = c.floats(emb);
                assertThat(e).hasSize(401 * 256);
                assertThat(Arrays.copyOf(e, 3)).containsExactly(0.267822265625f, -0.268798828125f, 0.25634765625f);
                assertThat(e[e.length - 1]).isEqualTo(0.2685546875f);
                assertThat(c.bytes(emb).byteSize()).isEqualTo(401 * 256 * 2);
                assertThat(Arrays.copyOf(c.floats("language_projection.weight"), 2))
                        .containsExactly(-0.024444580078125f, 0.02081298828125f);
                // shard 3
                float[] fc1 = c.floats("language_model.model.decoder.layers.2.fc1.bias");
                assertThat(fc1).hasSize(1024);
                assertThat(fc1[0]).isEqualTo(-0.0254669189453125f);
                assertThat(fc1[1023]).isEqualTo(-0.00971221923828125f);
            }
        }

        @Test
        void missingTensorIsAOneLineErrorNamingTheCheckpoint() {
            try (Checkpoint c = Checkpoint.open(TINY)) {
                rejects(TINY, "missing tensor 'language_model.lm_head.weight'", () -> c.info("language_model.lm_head.weight"));
                rejects(TINY, "missing tensor 'x'", () -> c.floats("x"));
                rejects(TINY, "missing tensor 'x'", () -> c.bytes("x"));
            }
        }
    }

    @Nested
    class Sharded {

        private Path shard(String name, String tensor, float... values) {
            return write(dir.resolve(name), header(entry(tensor, "F32", "[" + values.length + "]", 0, 4L * values.length)),
                    f32(values));
        }

        private Path index(String json) {
            return StFiles.bytes(dir.resolve(Checkpoint.INDEX_FILE), json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        @Test
        void ownSmallShardedCheckpoint() {
            shard("a.safetensors", "x", 1f, 2f);
            shard("b.safetensors", "y", 3f);
            index("{\"metadata\":{\"total_size\":12},\"weight_map\":{\"y\":\"b.safetensors\",\"x\":\"a.safetensors\"}}");
            try (Checkpoint c = Checkpoint.open(dir)) {
                assertThat(c.names()).containsExactly("y", "x");
                assertThat(c.floats("x")).containsExactly(1f, 2f);
                assertThat(c.floats("y")).containsExactly(3f);
                assertThat(c.files()).containsExactly(dir.resolve("b.safetensors"), dir.resolve("a.safetensors"));
            }
        }

        @Test
        void indexIsPreferredOverASingleFile() {
            shard("a.safetensors", "x", 1f);
            shard(Checkpoint.SINGLE_FILE, "other", 9f);
            index("{\"weight_map\":{\"x\":\"a.safetensors\"}}");
            try (Checkpoint c = Checkpoint.open(dir)) {
                assertThat(c.names()).containsExactly("x");
            }
        }

        @Test
        void missingShardFile() {
            shard("a.safetensors", "x", 1f);
            index("{\"weight_map\":{\"x\":\"a.safetensors\",\"y\":\"model-00002-of-00002.safetensors\"}}");
            rejects(dir.resolve("model-00002-of-00002.safetensors"), "file not found", () -> Checkpoint.open(dir));
        }

        @Test
        void indexListsATensorTheShardLacks() {
            shard("a.safetensors", "x", 1f);
            index("{\"weight_map\":{\"x\":\"a.safetensors\",\"ghost\":\"a.safetensors\"}}");
            rejects(dir.resolve("a.safetensors"), "index lists tensor 'ghost' but the shard does not hold it",
                    () -> Checkpoint.open(dir));
        }

        @Test
        void corruptShard() {
            shard("a.safetensors", "x", 1f);
            StFiles.bytes(dir.resolve("b.safetensors"), new byte[] {1, 2, 3});
            index("{\"weight_map\":{\"x\":\"a.safetensors\",\"y\":\"b.safetensors\"}}");
            rejects(dir.resolve("b.safetensors"), "shorter than the 8-byte header length", () -> Checkpoint.open(dir));
        }

        @Test
        void shardNameWithPathTraversalIsRefusedBeforeOpening() throws IOException {
            Path inner = Files.createDirectory(dir.resolve("ckpt"));
            // A perfectly valid file one level up: following the index there would succeed.
            shard("x.safetensors", "w", 1f);
            StFiles.bytes(inner.resolve(Checkpoint.INDEX_FILE),
                    "{\"weight_map\":{\"w\":\"../x.safetensors\"}}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            rejects(inner.resolve(Checkpoint.INDEX_FILE), "shard name '../x.safetensors' is not a plain file name",
                    () -> Checkpoint.open(inner));
        }

        @Test
        void otherNonPlainShardNames() {
            shard("a.safetensors", "x", 1f);
            for (String bad : new String[] {"/etc/passwd", "sub/a.safetensors", "..\\\\a.safetensors", "..", ".", "",
                    ".hidden.safetensors", "a\\u0000.safetensors", "a\\n.safetensors"}) {
                index("{\"weight_map\":{\"x\":\"" + bad + "\"}}");
                rejects(dir.resolve(Checkpoint.INDEX_FILE), "is not a plain file name", () -> Checkpoint.open(dir));
            }
        }

        @Test
        void indexNotJson() {
            index("{\"weight_map\": {\"x\": ");
            rejects(dir.resolve(Checkpoint.INDEX_FILE), "not valid JSON", () -> Checkpoint.open(dir));
        }

        @Test
        void missingWeightMap() {
            index("{\"metadata\":{}}");
            rejects(dir.resolve(Checkpoint.INDEX_FILE), "missing weight_map", () -> Checkpoint.open(dir));
        }

        @Test
        void weightMapNotAnObject() {
            index("{\"weight_map\":[\"a.safetensors\"]}");
            rejects(dir.resolve(Checkpoint.INDEX_FILE), "missing weight_map", () -> Checkpoint.open(dir));
        }

        @Test
        void indexIsAJsonArray() {
            index("[1,2,3]");
            rejects(dir.resolve(Checkpoint.INDEX_FILE), "missing weight_map", () -> Checkpoint.open(dir));
        }

        @Test
        void emptyIndex() {
            index("");
            rejects(dir.resolve(Checkpoint.INDEX_FILE), "missing weight_map", () -> Checkpoint.open(dir));
        }

        @Test
        void weightMapValueNotAString() {
            index("{\"weight_map\":{\"x\":5}}");
            rejects(dir.resolve(Checkpoint.INDEX_FILE), "weight_map entry 'x' is not a file name", () -> Checkpoint.open(dir));
        }

        @Test
        void indexOfGigabytesIsNotRead() throws IOException {
            Path idx = dir.resolve(Checkpoint.INDEX_FILE);
            try (var raf = new java.io.RandomAccessFile(idx.toFile(), "rw")) {
                raf.setLength(3L << 30);
                raf.write('{');
            }
            rejects(idx, "index file is larger than 64 MB", () -> Checkpoint.open(dir));
        }
    }

    @Nested
    class Folders {

        @Test
        void directoryWithoutWeights() throws IOException {
            Files.writeString(dir.resolve("config.json"), "{}");
            rejects(dir, "no model.safetensors or model.safetensors.index.json found", () -> Checkpoint.open(dir));
        }

        @Test
        void pathThatIsAFile() throws IOException {
            Path f = Files.writeString(dir.resolve("model.bin"), "x");
            rejects(f, "not a checkpoint directory", () -> Checkpoint.open(f));
        }

        @Test
        void pathThatDoesNotExist() {
            Path missing = dir.resolve("nowhere");
            rejects(missing, "not a checkpoint directory", () -> Checkpoint.open(missing));
        }

        @Test
        void corruptSingleFileNamesTheFile() {
            write(dir.resolve(Checkpoint.SINGLE_FILE), header(entry("w", "F32", "[3]", 0, 8)), new byte[8]);
            rejects(dir.resolve(Checkpoint.SINGLE_FILE), "needs 12 bytes", () -> Checkpoint.open(dir));
        }
    }
}
