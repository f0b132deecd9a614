package dev.blip2serve.engine;

import ai.onnxruntime.OrtException;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.checkpoint.GenerationConfig;
import dev.blip2serve.convert.VariantFiles;
import dev.blip2serve.generation.Caption;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.generation.GenerationRequest;
import dev.blip2serve.generation.GenerationResult;
import dev.blip2serve.generation.Generator;
import dev.blip2serve.generation.TokenListener;
import dev.blip2serve.image.ImagePreprocessor;
import dev.blip2serve.image.ProcessorSettings;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.repository.ManifestIo;
import dev.blip2serve.repository.RepositoryException;
import dev.blip2serve.runtime.OrtCausalLm;
import dev.blip2serve.runtime.OrtOptions;
import dev.blip2serve.runtime.VisionRunner;
import dev.blip2serve.tokenizer.OptTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One loaded variant: its manifest, preprocessing, tokenizer and ONNX Runtime sessions; captions a batch
 * of preprocessed images. Thread-safe for concurrent {@link #caption} calls (ONNX Runtime sessions are).
 */
public final class Blip2Model implements AutoCloseable {

    private final Path dir;
    private final Manifest manifest;
    private final Blip2Config config;
    private final GenerationConfig generation;
    private final ImagePreprocessor preprocessor;
    private final OptTokenizer tokenizer;
    private final VisionRunner vision;
    private final OrtCausalLm lm;

    private Blip2Model(Path dir, Manifest manifest, Blip2Config config, GenerationConfig generation,
                       ImagePreprocessor preprocessor, OptTokenizer tokenizer, VisionRunner vision, OrtCausalLm lm) {
        this.dir = dir;
        this.manifest = manifest;
        this.config = config;
        this.generation = generation;
        this.preprocessor = preprocessor;
        this.tokenizer = tokenizer;
        this.vision = vision;
        this.lm = lm;
    }

    /**
     * Opens a variant folder.
     *
     * @param verify check every file's size and SHA-256 against the manifest first (slow for big models)
     * @throws RepositoryException when the folder is not a usable variant, with the reason
     */
    public static Blip2Model open(Path dir, OrtOptions options, boolean verify) {
        Manifest manifest = ManifestIo.read(dir);
        if (verify) {
            List<String> problems = ManifestIo.verify(dir, manifest);
            if (!problems.isEmpty()) {
                throw new RepositoryException(dir, "files do not match the manifest: " + String.join("; ", problems));
            }
        }
        Blip2Config config = Blip2Config.read(dir);
        GenerationConfig generation = GenerationConfig.read(dir, config.text());
        ImagePreprocessor preprocessor = new ImagePreprocessor(ProcessorSettings.fromJson(dir.resolve("preprocessor_config.json")));
        OptTokenizer tokenizer = null;
        VisionRunner vision = null;
        try {
            tokenizer = OptTokenizer.load(dir);
            vision = new VisionRunner(dir.resolve(VariantFiles.VISION), config.vision().imageSize(), options);
            var t = config.text();
            OrtCausalLm lm = new OrtCausalLm(dir.resolve(VariantFiles.DECODER), t.layers(), t.heads(), t.hiddenSize(), t.vocabSize(), options);
            return new Blip2Model(dir, manifest, config, generation, preprocessor, tokenizer, vision, lm);
        } catch (IOException | OrtException e) {
            closeQuietly(tokenizer, vision);
            throw new RepositoryException(dir, "cannot load: " + e.getMessage());
        } catch (RuntimeException e) {
            closeQuietly(tokenizer, vision); // e.g. no CUDA provider
            throw e;
        }
    }

    public Path dir() {
        return dir;
    }

    public Manifest manifest() {
        return manifest;
    }

    public Blip2Config config() {
        return config;
    }

    public GenerationConfig generationConfig() {
        return generation;
    }

    /** The generation {@code request} asks for on this checkpoint (its EOS, pad and default length penalty). */
    public GenerationParams generationParams(GenerationRequest request) {
        return request.resolve(generation.eosTokenIds(), generation.padTokenId(), generation.lengthPenalty());
    }

    public ImagePreprocessor preprocessor() {
        return preprocessor;
    }

    public OptTokenizer tokenizer() {
        return tokenizer;
    }

    /** Greedy defaults from the checkpoint's generation config, with {@code maxNewTokens}. */
    public GenerationParams defaultParams(int maxNewTokens) {
        return GenerationParams.greedy(maxNewTokens, generation.eosTokenIds(), generation.padTokenId());
    }

    /**
     * Captions images (each [3, H, W], preprocessed) with their prompts ("" for a plain caption).
     */
    public CaptionBatch caption(List<float[]> pixels, List<String> prompts, GenerationParams params) {
        return caption(pixels, prompts, params, TokenListener.NONE);
    }

    /**
     * {@link #caption} that tells {@code listener} each new token of image i as greedy search picks it (for
     * streaming; beam search does not call it).
     */
    public CaptionBatch caption(List<float[]> pixels, List<String> prompts, GenerationParams params,
                                TokenListener listener) {
        if (pixels.size() != prompts.size()) {
            throw new IllegalArgumentException("one prompt per image");
        }
        int n = pixels.size();
        int q = config.numQueryTokens();
        int per = pixels.isEmpty() ? 0 : pixels.getFirst().length;
        float[] batch = new float[n * per];
        for (int i = 0; i < n; i++) {
            System.arraycopy(pixels.get(i), 0, batch, i * per, per);
        }
        long t0 = System.nanoTime();
        float[] prefix;
        try {
            prefix = vision.queryEmbeds(batch, n);
        } catch (OrtException e) {
            throw new dev.blip2serve.runtime.InferenceException("vision graph failed: " + e.getMessage(), e);
        }
        long visionNanos = System.nanoTime() - t0;
        List<long[]> ids = new ArrayList<>();
        for (String p : prompts) {
            ids.add(tokenizer.encode(p));
        }
        GenerationResult r = new Generator(lm).run(prefix, q, ids, params, listener);
        List<ImageCaptions> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<CaptionText> texts = new ArrayList<>();
            for (Caption c : r.captions().get(i)) {
                texts.add(new CaptionText(tokenizer.decode(c.tokens()), c.tokens(), c.logprob(), c.score(), c.steps()));
            }
            out.add(new ImageCaptions(texts, ids.get(i).length));
        }
        return new CaptionBatch(out, visionNanos, r.prefillNanos(), r.decodeNanos(), r.decodeSteps());
    }

    @Override
    public void close() {
        closeQuietly(tokenizer, vision);
        try {
            lm.close();
        } catch (OrtException e) {
            // closing: nothing left to do
        }
    }

    private static void closeQuietly(OptTokenizer tokenizer, VisionRunner vision) {
        if (tokenizer != null) {
            tokenizer.close();
        }
        if (vision != null) {
            try {
                vision.close();
            } catch (OrtException e) {
                // closing: nothing left to do
            }
        }
    }
}
