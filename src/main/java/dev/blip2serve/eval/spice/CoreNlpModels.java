package dev.blip2serve.eval.spice;

import edu.stanford.nlp.io.IOUtils;
import java.nio.file.Path;

/**
 * Whether CoreNLP can see its English models, before any CoreNLP class that needs them is initialised.
 *
 * <p>SPICE needs from {@code stanford-corenlp-4.5.10-models.jar} the POS tagger, the English PCFG and, through
 * the scene-graph parser's pronoun resolution, the dcoref word lists. CoreNLP reads them from the system class
 * path or its own class loader, never from a path we could pass, so the jar must be on the class path. Tests have
 * it (a test dependency); the application jar does not ship it (474 MB), so {@code eval} and {@code reproduce}
 * with SPICE run as
 * {@code java -cp target/blip2-serve.jar:MODELS_JAR org.springframework.boot.loader.launch.JarLauncher eval ...}
 * (docs/SPICE.md).
 */
public final class CoreNlpModels {

    public static final String VERSION = "4.5.10";
    static final String TAGGER = "edu/stanford/nlp/models/pos-tagger/english-left3words-distsim.tagger";
    static final String PCFG = "edu/stanford/nlp/models/lexparser/englishPCFG.ser.gz";
    static final String DCOREF = "edu/stanford/nlp/models/dcoref/demonyms.txt";

    private CoreNlpModels() {
    }

    /** The models jar in the local Maven repository (there after any {@code ./mvnw verify}). */
    public static Path mavenJar() {
        return Path.of(System.getProperty("user.home"), ".m2", "repository", "edu", "stanford", "nlp",
                "stanford-corenlp", VERSION, "stanford-corenlp-" + VERSION + "-models.jar");
    }

    /** Whether CoreNLP finds the models the way it looks for them (system class path, then its own loader). */
    public static boolean available() {
        for (String name : new String[] {TAGGER, PCFG, DCOREF}) {
            if (ClassLoader.getSystemResource(name) == null && IOUtils.class.getClassLoader().getResource(name) == null) {
                return false;
            }
        }
        return true;
    }

    /** Throws an {@link IllegalStateException} saying how to get the models when CoreNLP cannot see them. */
    public static void require() {
        if (!available()) {
            throw new IllegalStateException("SPICE needs the CoreNLP English models jar on the class path: run "
                    + "java -cp target/blip2-serve.jar:" + mavenJar()
                    + " org.springframework.boot.loader.launch.JarLauncher <command> ... (fetch the jar with "
                    + "./mvnw dependency:get -Dartifact=edu.stanford.nlp:stanford-corenlp:" + VERSION
                    + ":jar:models), or pass --no-spice");
        }
    }
}
