package dev.blip2serve.cli;

import dev.blip2serve.convert.Blip2Converter;
import dev.blip2serve.convert.FloatVariant;
import dev.blip2serve.hub.HubClient;
import dev.blip2serve.hub.HubException;
import dev.blip2serve.hub.HubSettings;
import dev.blip2serve.hub.PrequantizedVariants;
import dev.blip2serve.hub.RepoId;
import dev.blip2serve.hub.Snapshot;
import dev.blip2serve.repository.Manifest;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pull}: a model from the Hugging Face Hub into huggingface_hub's cache, and with {@code --repo} into the model
 * repository: a BLIP-2 checkpoint is converted to float variants, a repository of pre-quantized variants is verified
 * against its manifests and installed.
 */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Download a model from the Hugging Face Hub (cache shared with huggingface_hub: $HF_HUB_CACHE, "
                + "default ~/.cache/huggingface/hub). A BLIP-2 checkpoint is converted into --repo; a repository of "
                + "pre-quantized variants (folders with manifest.json) is verified and installed into --repo.",
                "Environment: HF_ENDPOINT, HF_TOKEN (or $HF_HOME/token), HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE."})
final class PullCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REPO_ID", description = "hub repository, e.g. Salesforce/blip2-opt-2.7b")
    String repoId;

    @Option(names = "--revision", defaultValue = "main", paramLabel = "REV", description = "branch, tag or commit (default: ${DEFAULT-VALUE})")
    String revision;

    @Option(names = "--repo", paramLabel = "DIR", description = "model repository to convert or install into (without it: download only)")
    Path repo;

    @Option(names = "--name", paramLabel = "NAME", description = "model name in the repository (default: the repository's name, or the variants' manifests)")
    String name;

    @Option(names = "--precision", split = ",", defaultValue = "fp32,fp16", paramLabel = "P[,P]",
            description = "float variants to convert a checkpoint into (default: ${DEFAULT-VALUE})")
    List<String> precisions;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "hub cache (default: $HF_HUB_CACHE)")
    Path cacheDir;

    @Option(names = "--endpoint", paramLabel = "URL", description = "hub endpoint (default: $HF_ENDPOINT or https://huggingface.co)")
    URI endpoint;

    @Option(names = "--offline", description = "use the cache only, as HF_HUB_OFFLINE=1")
    boolean offline;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        RepoId id = new RepoId(repoId);
        String model = name != null ? name : id.name();
        if (!model.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("--name must be letters, digits, '.', '_' or '-', got '" + model + "'");
        }
        List<FloatVariant> floats = new ArrayList<>();
        for (String p : precisions) {
            floats.add(FloatVariant.parse(p.strip()));
        }
        HubSettings settings = HubSettings.fromEnvironment();
        if (cacheDir != null) {
            settings = settings.withCacheDir(cacheDir);
        }
        if (endpoint != null) {
            settings = settings.withEndpoint(endpoint);
        }
        if (offline) {
            settings = settings.withOffline(true);
        }
        DownloadBar bar = new DownloadBar(err);
        long t0 = System.nanoTime();
        Snapshot snap = new HubClient(settings, bar).pull(id, revision);
        bar.finishLine();
        out.printf("%s@%s: commit %s, %d files, %s (%s downloaded in %.1f s) in %s%n", id, revision, snap.commit(),
                snap.files().size(), ProgressBar.bytes(snap.bytes()), ProgressBar.bytes(snap.fetched()),
                (System.nanoTime() - t0) / 1e9, snap.dir());
        List<PrequantizedVariants.Found> variants = PrequantizedVariants.verify(snap.dir());
        for (PrequantizedVariants.Found v : variants) {
            String variantModel = name != null ? name : v.manifest().model();
            if (repo == null) {
                out.printf("verified %s/%s (%s)%n", variantModel, v.manifest().precision(), ProgressBar.bytes(v.manifest().totalBytes()));
            } else {
                Path dir = PrequantizedVariants.install(v, repo, variantModel);
                out.printf("%s: verified and installed in %s%n", v.manifest().precision(), dir);
            }
        }
        if (!variants.isEmpty() || repo == null) {
            return 0;
        }
        if (!PrequantizedVariants.isCheckpoint(snap.dir())) {
            throw new HubException(HubException.Kind.BAD_INPUT, id + " is neither a checkpoint (config.json and "
                    + "safetensors) nor a model repository (variant folders with manifest.json)");
        }
        for (FloatVariant v : floats) {
            Blip2Converter.Request request = Blip2Converter.Request.of(snap.dir(), repo, model, v);
            if (Files.isRegularFile(request.variantDir().resolve(Manifest.FILE_NAME))) {
                out.printf("%s: %s already exists (delete it to convert again)%n", v.label(), request.variantDir());
                continue;
            }
            ProgressBar convertBar = new ProgressBar(err);
            long c0 = System.nanoTime();
            Manifest m = Blip2Converter.convert(request, convertBar);
            convertBar.finishLine();
            out.printf("%s: %s in %.1f s (%s)%n", v.label(), request.variantDir(), (System.nanoTime() - c0) / 1e9,
                    ProgressBar.bytes(m.totalBytes()));
        }
        return 0;
    }
}
