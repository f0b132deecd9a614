package dev.blip2serve.convert;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.onnx.proto.Onnx;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.repository.ManifestIo;
import dev.blip2serve.runtime.OrtCausalLm;
import dev.blip2serve.runtime.OrtOptions;
import dev.blip2serve.testing.Fixtures;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the converter writes: external data, node names, manifests that verify. */
class ConverterTest {

    @TempDir
    Path tmp;

    @Test
    void externalDataGivesTheSameLogitsAsInlineWeights() throws Exception {
        Path dir = tmp.resolve("ext");
        Blip2Converter.convert(new Blip2Converter.Request(Fixtures.TINY, dir, "tiny", "fp32", WeightPrecision.FP32, 0),
                ProgressListener.NONE);
        assertThat(dir.resolve(VariantFiles.DECODER + ".data")).exists();
        assertThat(dir.resolve(VariantFiles.VISION + ".data")).exists();
        Onnx.ModelProto decoder = parse(dir.resolve(VariantFiles.DECODER));
        long external = decoder.getGraph().getInitializerList().stream()
                .filter(t -> t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL).count();
        assertThat(external).isGreaterThan(10);

        Path inline = Fixtures.variant(Fixtures.TINY, WeightPrecision.FP32);
        assertThat(inline.resolve(VariantFiles.DECODER + ".data")).doesNotExist();
        Blip2Config c = Blip2Config.read(Fixtures.TINY);
        var t = c.text();
        float[] prefix = new float[c.numQueryTokens() * t.hiddenSize()];
        Arrays.fill(prefix, 0.1f);
        long[] ids = {2, 40, 41, 42};
        long[] mask = new long[c.numQueryTokens() + ids.length];
        Arrays.fill(mask, 1);
        try (OrtCausalLm a = new OrtCausalLm(dir.resolve(VariantFiles.DECODER), t.layers(), t.heads(), t.hiddenSize(), t.vocabSize(), OrtOptions.cpu());
             OrtCausalLm b = new OrtCausalLm(inline.resolve(VariantFiles.DECODER), t.layers(), t.heads(), t.hiddenSize(), t.vocabSize(), OrtOptions.cpu())) {
            float[] la = a.logits(prefix, c.numQueryTokens(), ids, ids.length, mask, 1, ids.length);
            float[] lb = b.logits(prefix, c.numQueryTokens(), ids, ids.length, mask, 1, ids.length);
            assertThat(la).containsExactly(lb);
        }
        Manifest m = ManifestIo.read(dir);
        assertThat(m.files()).extracting(Manifest.FileEntry::name).contains("decoder.onnx.data", "vision.onnx.data");
        assertThat(ManifestIo.verify(dir, m)).isEmpty();
    }

    @Test
    void nodeNamesSayWhereTheyAre() throws Exception {
        Path dir = Fixtures.variant(Fixtures.TINY, WeightPrecision.FP32);
        List<String> decoder = parse(dir.resolve(VariantFiles.DECODER)).getGraph().getNodeList().stream().map(Onnx.NodeProto::getName).toList();
        assertThat(decoder).contains("/lm/layers.1/attn/q_proj/MatMul", "/lm/layers.0/mlp/fc1/Relu", "/lm/lm_head/Gemm");
        assertThat(decoder).doesNotHaveDuplicates();
        List<String> vision = parse(dir.resolve(VariantFiles.VISION)).getGraph().getNodeList().stream().map(Onnx.NodeProto::getName).toList();
        assertThat(vision).contains("/vision/layers.0/attn/qkv/MatMul", "/qformer/layers.0/cross_attn/key/MatMul",
                "/qformer/layers.1/ffn/fc1/Gelu", "/projection/MatMul");
        assertThat(vision).noneMatch(n -> n.contains("cross_attn") && n.startsWith("/qformer/layers.1/"));
    }

    @Test
    void aTamperedFileFailsVerification() throws Exception {
        Path dir = tmp.resolve("tamper");
        Blip2Converter.convert(new Blip2Converter.Request(Fixtures.TINY, dir, "tiny", "fp16", WeightPrecision.FP16,
                Blip2Converter.INLINE_LIMIT), ProgressListener.NONE);
        Manifest m = ManifestIo.read(dir);
        assertThat(m.components().get("decoder").cpu()).contains("fp16");
        byte[] bytes = Files.readAllBytes(dir.resolve(VariantFiles.DECODER));
        bytes[bytes.length / 2] ^= 1;
        Files.write(dir.resolve(VariantFiles.DECODER), bytes);
        Files.delete(dir.resolve("tokenizer.json"));
        assertThat(ManifestIo.verify(dir, m)).containsExactlyInAnyOrder(
                "decoder.onnx: SHA-256 does not match the manifest", "tokenizer.json: missing");
    }

    static Onnx.ModelProto parse(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return Onnx.ModelProto.parseFrom(in);
        }
    }
}
