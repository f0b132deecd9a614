package dev.blip2serve.synthetic;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes a BLIP-2 (OPT) Hugging Face checkpoint with random weights in the hub's layout: {@code config.json},
 * {@code generation_config.json}, {@code preprocessor_config.json}, a tokenizer, and the weights as
 * safetensors shards of at most {@link #HUB_MAX_SHARD_BYTES} (two for the 2.7B shape in float32, 15.7 GB)
 * with {@code model.safetensors.index.json}, or one {@code model.safetensors} when everything fits.
 *
 * <p>For scale and speed only, never for quality: the weights are noise, and the tokenizer is the small
 * shapes-blip2 one (401 tokens) while the config keeps OPT's 50272-token vocabulary, so prompts encode to
 * ids below 401 and generated ids above 400 decode to nothing. The values follow {@link HashedWeights}: with
 * seed 0 the checkpoint is bit-identical to the one {@code scripts/gpu/full_size_reference.py} builds in
 * PyTorch, so graphs converted from it can be compared with that script's reference tensors.
 *
 * <p>Writing streams: one chunk of {@link #CHUNK_ELEMENTS} floats is generated while the previous one is
 * written, so the heap holds two chunks whatever the model's size (the 2.7B shape: 0.2 GB peak RSS).
 */
public final class SyntheticCheckpoint {

    /** transformers' {@code max_shard_size="10GB"} when the hub checkpoints were saved: 10^10 bytes. */
    public static final long HUB_MAX_SHARD_BYTES = 10_000_000_000L;
    /** Floats generated per chunk (16 MB of float32). */
    public static final int CHUNK_ELEMENTS = 1 << 22;

    public static final String INDEX_FILE = "model.safetensors.index.json";
    public static final String SINGLE_FILE = "model.safetensors";
    /** The top-level config key that marks a checkpoint as written here (random weights). */
    public static final String MARKER = "blip2serve_synthetic";

    private static final String TOKENIZER_RESOURCE = "/models/shapes-blip2/";
    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    /** What to write. */
    public enum Data {
        /** Random weights. */
        RANDOM,
        /** Headers only, the data left as holes of a sparse file: names, shapes and file sizes, for tests. */
        SPARSE
    }

    /**
     * @param maxShardBytes a new shard starts when the next tensor would push the current one past this
     */
    public record Options(SyntheticShape shape, long seed, StorageType dtype, long maxShardBytes, Data data) {
        public Options {
            if (maxShardBytes <= 0) {
                throw new IllegalArgumentException("max shard size must be positive");
            }
        }

        public static Options of(SyntheticShape shape) {
            return new Options(shape, 0, StorageType.F32, HUB_MAX_SHARD_BYTES, Data.RANDOM);
        }

        public Options withData(Data d) {
            return new Options(shape, seed, dtype, maxShardBytes, d);
        }

        public Options withDtype(StorageType t) {
            return new Options(shape, seed, t, maxShardBytes, data);
        }

        public Options withShardLimit(long bytes) {
            return new Options(shape, seed, dtype, bytes, data);
        }

        public Options withSeed(long s) {
            return new Options(shape, s, dtype, maxShardBytes, data);
        }
    }

    /** What was written. */
    public record Written(Path dir, List<Path> weightFiles, int tensors, long parameters, long weightBytes) {
    }

    /** Progress: bytes of weights written so far, of the total. */
    @FunctionalInterface
    public interface Progress {
        void progress(String step, long done, long total);

        Progress NONE = (step, done, total) -> { };
    }

    private SyntheticCheckpoint() {
    }

    /**
     * Splits tensors (in {@code state_dict} order) into shards as transformers' {@code shard_checkpoint} does:
     * a tensor that would push a non-empty shard past {@code maxShardBytes} starts the next one.
     */
    public static List<List<TensorSpec>> shards(List<TensorSpec> tensors, StorageType dtype, long maxShardBytes) {
        List<List<TensorSpec>> out = new ArrayList<>();
        List<TensorSpec> current = new ArrayList<>();
        long size = 0;
        for (TensorSpec t : tensors) {
            long bytes = t.elementCount() * dtype.bytes();
            if (!current.isEmpty() && size + bytes > maxShardBytes) {
                out.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(t);
            size += bytes;
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        return out;
    }

    /** The weight file names for {@code count} shards: {@code model.safetensors} or {@code model-0000i-of-0000n.safetensors}. */
    public static List<String> shardNames(int count) {
        if (count == 1) {
            return List.of(SINGLE_FILE);
        }
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            names.add(String.format("model-%05d-of-%05d.safetensors", i, count));
        }
        return names;
    }

    /** Writes the checkpoint into {@code dir} (created if absent; it must not already hold weight files). */
    public static Written write(Path dir, Options o, Progress progress) throws IOException {
        Files.createDirectories(dir);
        for (String existing : List.of(SINGLE_FILE, INDEX_FILE)) {
            if (Files.exists(dir.resolve(existing))) {
                throw new IllegalArgumentException(dir + " already holds " + existing + ": write into an empty folder");
            }
        }
        List<TensorSpec> tensors = HubLayout.tensors(o.shape());
        List<List<TensorSpec>> shards = shards(tensors, o.dtype(), o.maxShardBytes());
        List<String> names = shardNames(shards.size());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put(MARKER, "random weights, shape " + o.shape().name() + ", seed " + o.seed());
        List<SafetensorsLayout> layouts = new ArrayList<>();
        long total = 0;
        long params = 0;
        for (List<TensorSpec> shard : shards) {
            SafetensorsLayout l = SafetensorsLayout.of(shard, o.dtype(), meta);
            layouts.add(l);
            total += l.dataBytes();
        }
        for (TensorSpec t : tensors) {
            params += t.elementCount();
        }
        if (o.data() == Data.RANDOM) {
            long free = Files.getFileStore(dir).getUsableSpace();
            if (free < total + (64L << 20)) {
                throw new IOException(String.format("not enough disk space in %s: %.2f GB needed, %.2f GB free",
                        dir, total / 1e9, free / 1e9));
            }
        }
        writeJson(dir.resolve("config.json"), config(o));
        writeJson(dir.resolve("generation_config.json"), generationConfig());
        writeJson(dir.resolve("preprocessor_config.json"), preprocessorConfig(o.shape()));
        copyResource("tokenizer.json", dir);
        copyResource("tokenizer_config.json", dir);

        List<Path> files = new ArrayList<>();
        long[] done = {0};
        ExecutorService io = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "synthetic-writer");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int s = 0; s < layouts.size(); s++) {
                Path file = dir.resolve(names.get(s));
                writeShard(file, layouts.get(s), o, io, total, done, progress);
                files.add(file);
            }
        } finally {
            io.shutdownNow();
        }
        if (layouts.size() > 1) {
            Map<String, Object> index = new LinkedHashMap<>();
            index.put("metadata", Map.of("total_size", total));
            Map<String, String> weightMap = new TreeMap<>();
            for (int s = 0; s < layouts.size(); s++) {
                for (SafetensorsLayout.Entry e : layouts.get(s).entries()) {
                    weightMap.put(e.spec().name(), names.get(s));
                }
            }
            index.put("weight_map", weightMap);
            writeJson(dir.resolve(INDEX_FILE), index);
        }
        return new Written(dir, files, tensors.size(), params, total);
    }

    private static void writeShard(Path file, SafetensorsLayout layout, Options o, ExecutorService io, long total,
                                   long[] done, Progress progress) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            byte[] header = layout.header();
            ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(header.length).put(header).flip();
            writeFully(ch, head);
            if (o.data() == Data.SPARSE) {
                if (layout.dataBytes() > 0) { // one zero byte at the end: the file has its full length, all holes
                    writeFully(ch, ByteBuffer.allocate(1), layout.fileBytes() - 1);
                }
                done[0] += layout.dataBytes();
                progress.progress("weights", done[0], total);
                return;
            }
            int width = o.dtype().bytes();
            ByteBuffer[] buffers = {
                    ByteBuffer.allocateDirect(CHUNK_ELEMENTS * width).order(ByteOrder.LITTLE_ENDIAN),
                    ByteBuffer.allocateDirect(CHUNK_ELEMENTS * width).order(ByteOrder.LITTLE_ENDIAN)};
            float[] values = new float[CHUNK_ELEMENTS];
            Future<?> pending = null;
            int which = 0;
            for (SafetensorsLayout.Entry e : layout.entries()) {
                TensorSpec t = e.spec();
                long key = valueSeed(o.seed(), t.valuesOf());
                double[] law = HashedWeights.law(t.valuesOf());
                long n = t.elementCount();
                for (long first = 0; first < n; first += CHUNK_ELEMENTS) {
                    int count = (int) Math.min(CHUNK_ELEMENTS, n - first);
                    HashedWeights.fill(key, first, values, count, law[0], law[1]);
                    ByteBuffer buf = buffers[which];
                    await(pending); // the buffer about to be refilled was submitted two chunks ago
                    buf.clear();
                    if (o.dtype() == StorageType.F32) {
                        buf.asFloatBuffer().put(values, 0, count);
                        buf.limit(count * 4);
                    } else {
                        for (int i = 0; i < count; i++) {
                            buf.putShort(Float.floatToFloat16(values[i]));
                        }
                        buf.flip();
                    }
                    long chunkBytes = (long) count * width;
                    pending = io.submit(() -> {
                        try {
                            writeFully(ch, buf);
                        } catch (IOException ex) {
                            throw new UncheckedIOException(ex);
                        }
                    });
                    which ^= 1;
                    done[0] += chunkBytes;
                    progress.progress("weights", done[0], total);
                }
            }
            await(pending);
            if (ch.size() != layout.fileBytes()) {
                throw new IOException(file + ": wrote " + ch.size() + " bytes, expected " + layout.fileBytes());
            }
        }
    }

    /**
     * The {@link HashedWeights} seed of a tensor: {@code fnv1a32(name)} for seed 0 (bit-identical to
     * {@code scripts/gpu/full_size_reference.py}), shifted by the seed otherwise.
     */
    public static long valueSeed(long seed, String name) {
        return (HashedWeights.fnv1a32(name) + seed * 0x9E3779B9L) & 0xFFFFFFFFL;
    }

    private static void await(Future<?> f) throws IOException {
        if (f == null) {
            return;
        }
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            throw new IOException(e.getCause());
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }

    /** {@code config.json} as the hub's (transformers 4.27 era, every field spelled out) plus the synthetic marker. */
    public static Map<String, Object> config(Options o) {
        SyntheticShape s = o.shape();
        Map<String, Object> vision = new LinkedHashMap<>();
        vision.put("attention_dropout", 0.0);
        vision.put("dropout", 0.0);
        vision.put("hidden_act", "gelu");
        vision.put("hidden_size", s.visionHidden());
        vision.put("image_size", s.imageSize());
        vision.put("initializer_factor", 1.0);
        vision.put("initializer_range", 1e-10);
        vision.put("intermediate_size", s.visionIntermediate());
        vision.put("layer_norm_eps", 1e-6);
        vision.put("model_type", "blip_2_vision_model");
        vision.put("num_attention_heads", s.visionHeads());
        vision.put("num_channels", 3);
        vision.put("num_hidden_layers", s.visionLayers());
        vision.put("patch_size", s.patchSize());
        vision.put("projection_dim", 512);
        vision.put("qkv_bias", true);

        Map<String, Object> qformer = new LinkedHashMap<>();
        qformer.put("attention_probs_dropout_prob", 0.1);
        qformer.put("classifier_dropout", null);
        qformer.put("cross_attention_frequency", s.crossAttentionFrequency());
        qformer.put("encoder_hidden_size", s.visionHidden());
        qformer.put("hidden_act", "gelu");
        qformer.put("hidden_dropout_prob", 0.1);
        qformer.put("hidden_size", s.qformerHidden());
        qformer.put("initializer_range", 0.02);
        qformer.put("intermediate_size", s.qformerIntermediate());
        qformer.put("layer_norm_eps", 1e-12);
        qformer.put("max_position_embeddings", 512);
        qformer.put("model_type", "blip_2_qformer");
        qformer.put("num_attention_heads", s.qformerHeads());
        qformer.put("num_hidden_layers", s.qformerLayers());
        qformer.put("pad_token_id", 0);
        qformer.put("position_embedding_type", "absolute");
        qformer.put("vocab_size", 30522);

        Map<String, Object> text = new LinkedHashMap<>();
        text.put("_name_or_path", s.lmNameOrPath());
        text.put("activation_dropout", 0.0);
        text.put("activation_function", "relu");
        text.put("architectures", List.of("OPTForCausalLM"));
        text.put("attention_dropout", 0.0);
        text.put("bos_token_id", 2);
        text.put("do_layer_norm_before", true);
        text.put("dropout", 0.1);
        text.put("enable_bias", true);
        text.put("eos_token_id", 50118);
        text.put("ffn_dim", s.textFfn());
        text.put("hidden_size", s.textHidden());
        text.put("init_std", 0.02);
        text.put("layer_norm_elementwise_affine", true);
        text.put("layerdrop", 0.0);
        text.put("max_position_embeddings", s.maxPositions());
        text.put("model_type", "opt");
        text.put("num_attention_heads", s.textHeads());
        text.put("num_hidden_layers", s.textLayers());
        text.put("pad_token_id", 1);
        text.put("prefix", "</s>");
        text.put("tie_word_embeddings", true);
        text.put("torch_dtype", "float16");
        text.put("use_cache", true);
        text.put("vocab_size", s.vocabSize());
        text.put("word_embed_proj_dim", s.textHidden());

        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("Blip2ForConditionalGeneration"));
        c.put("initializer_factor", 1.0);
        c.put("initializer_range", 0.02);
        c.put("model_type", "blip-2");
        c.put("num_query_tokens", s.queryTokens());
        c.put("qformer_config", qformer);
        c.put("text_config", text);
        c.put("torch_dtype", o.dtype().torchName());
        c.put("transformers_version", "4.27.0.dev0");
        c.put("use_decoder_only_language_model", true);
        c.put("vision_config", vision);
        Map<String, Object> marker = new LinkedHashMap<>();
        marker.put("shape", s.name());
        marker.put("seed", o.seed());
        marker.put("note", "hashed pseudo-random weights (HashedWeights: uniform +-0.02, LayerNorm scales 1 +-0.1) for"
                + " scale and speed tests, never quality; tokenizer.json is the 401-token shapes-blip2 tokenizer");
        c.put(MARKER, marker);
        return c;
    }

    /** The hub's {@code generation_config.json}: BOS 2, EOS 50118 ("\n", as LAVIS stops OPT), PAD 1. */
    public static Map<String, Object> generationConfig() {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("_from_model_config", true);
        g.put("bos_token_id", 2);
        g.put("eos_token_id", 50118);
        g.put("pad_token_id", 1);
        g.put("transformers_version", "4.27.0.dev0");
        return g;
    }

    /** BlipImageProcessor at the shape's image size: bicubic, rescale 1/255, CLIP mean/std, RGB. */
    public static Map<String, Object> preprocessorConfig(SyntheticShape s) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("do_convert_rgb", true);
        p.put("do_normalize", true);
        p.put("do_rescale", true);
        p.put("do_resize", true);
        p.put("image_mean", List.of(0.48145466, 0.4578275, 0.40821073));
        p.put("image_processor_type", "BlipImageProcessor");
        p.put("image_std", List.of(0.26862954, 0.26130258, 0.27577711));
        p.put("processor_class", "Blip2Processor");
        p.put("resample", 3);
        p.put("rescale_factor", 0.00392156862745098);
        p.put("size", Map.of("height", s.imageSize(), "width", s.imageSize()));
        return p;
    }

    private static void writeJson(Path file, Object value) throws IOException {
        Files.writeString(file, JSON.writeValueAsString(value) + "\n");
    }

    private static void copyResource(String name, Path dir) throws IOException {
        try (InputStream in = SyntheticCheckpoint.class.getResourceAsStream(TOKENIZER_RESOURCE + name)) {
            if (in == null) {
                throw new IOException("resource " + TOKENIZER_RESOURCE + name + " is missing from the classpath");
            }
            Files.copy(in, dir.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
