package dev.blip2serve.eval.spice;

import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.ling.IndexedWord;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import edu.stanford.nlp.scenegraph.RuleBasedParser;
import edu.stanford.nlp.scenegraph.SceneGraph;
import edu.stanford.nlp.scenegraph.SceneGraphAttribute;
import edu.stanford.nlp.scenegraph.SceneGraphCoreAnnotations;
import edu.stanford.nlp.scenegraph.SceneGraphNode;
import edu.stanford.nlp.scenegraph.SceneGraphRelation;
import edu.stanford.nlp.semgraph.SemanticGraph;
import edu.stanford.nlp.semgraph.SemanticGraphCoreAnnotations;
import edu.stanford.nlp.util.CoreMap;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;

/**
 * SPICE tuples from Stanford CoreNLP's rule-based scene-graph parser ({@code edu.stanford.nlp.scenegraph}).
 *
 * <p>Pipeline: tokenize, ssplit, pos, lemma, parse (the English PCFG constituency parser, converted to UD
 * enhanced++ dependencies, which resolve relative pronouns: "a circle that is red" gives (circle, red)).
 * The scene graph of every sentence of a caption is turned into tuples: every node an object, every
 * attribute an (object, attribute), every edge a (subject, relation, object). CoreNLP's parser only makes
 * nodes of nouns that take part in a rule, so every other noun of the sentence is added as an object, as
 * SPICE-1.0's parser does ("a man" has the object (man)).
 *
 * <p>The models (2 to 5 s, a few hundred MB of heap) load on the first call of {@link #parse}, never at
 * construction; only {@code eval} and {@code reproduce} create this class. They must be on the class path
 * ({@link CoreNlpModels}).
 */
public final class CoreNlpSceneGraphParser implements SceneGraphParser {

    /** Bump when the tuple extraction changes: it is part of the cache key. */
    static final String VERSION = "corenlp-4.5.10-rulebased-udpp-v2";

    private final int threads;
    private volatile StanfordCoreNLP pipeline;
    private long loadMillis = -1;

    public CoreNlpSceneGraphParser() {
        this(Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())));
    }

    public CoreNlpSceneGraphParser(int threads) {
        this.threads = threads;
    }

    @Override
    public String version() {
        return VERSION;
    }

    /** Milliseconds the model loading took, or -1 when the models are not loaded (yet). */
    public long loadMillis() {
        return loadMillis;
    }

    private StanfordCoreNLP pipeline() {
        StanfordCoreNLP p = pipeline;
        if (p == null) {
            synchronized (this) {
                p = pipeline;
                if (p == null) {
                    long t0 = System.nanoTime();
                    CoreNlpModels.require();
                    Properties props = new Properties();
                    props.setProperty("annotators", "tokenize,ssplit,pos,lemma,parse");
                    props.setProperty("parse.maxlen", "100");
                    props.setProperty("parse.keepPunct", "false");
                    p = new StanfordCoreNLP(props);
                    loadMillis = (System.nanoTime() - t0) / 1_000_000;
                    pipeline = p;
                }
            }
        }
        return p;
    }

    @Override
    public List<Set<SpiceTuple>> parse(List<String> captions) {
        List<Set<SpiceTuple>> out = new ArrayList<>(captions.size());
        List<Annotation> docs = new ArrayList<>();
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < captions.size(); i++) {
            out.add(Set.of());
            String text = captions.get(i) == null ? "" : captions.get(i).strip();
            if (text.codePoints().anyMatch(Character::isLetterOrDigit)) {
                docs.add(new Annotation(text));
                at.add(i);
            }
        }
        if (docs.isEmpty()) {
            return out;
        }
        StanfordCoreNLP p = pipeline();
        if (threads > 1 && docs.size() > 1) {
            p.annotate(docs, threads);
        } else {
            docs.forEach(p::annotate);
        }
        RuleBasedParser rules = new RuleBasedParser();
        for (int d = 0; d < docs.size(); d++) {
            out.set(at.get(d), tuples(docs.get(d), rules));
        }
        return out;
    }

    private static Set<SpiceTuple> tuples(Annotation doc, RuleBasedParser rules) {
        Set<SpiceTuple> tuples = new LinkedHashSet<>();
        List<CoreMap> sentences = doc.get(CoreAnnotations.SentencesAnnotation.class);
        if (sentences == null) {
            return Set.of();
        }
        for (CoreMap sentence : sentences) {
            SemanticGraph deps = sentence.get(SemanticGraphCoreAnnotations.EnhancedPlusPlusDependenciesAnnotation.class);
            if (deps == null || deps.vertexSet().isEmpty()) {
                continue;
            }
            SceneGraph graph = rules.parse(deps);
            for (SceneGraphNode node : graph.nodeListSorted()) {
                String object = name(node.value());
                if (object == null) {
                    continue;
                }
                tuples.add(SpiceTuple.object(object));
                for (SceneGraphAttribute attribute : node.getAttributes()) {
                    String a = name(attribute.value());
                    if (a != null) {
                        tuples.add(SpiceTuple.attribute(object, a));
                    }
                }
            }
            for (SceneGraphRelation edge : graph.relationListSorted()) {
                String s = name(edge.getSource().value());
                String o = name(edge.getTarget().value());
                String r = relation(edge.getRelation());
                if (s != null && o != null && r != null) {
                    tuples.add(SpiceTuple.relation(s, r, o));
                }
            }
            // nouns the rules left out (a caption that is a bare noun phrase has no rule at all)
            for (IndexedWord word : deps.vertexListSorted()) {
                String tag = word.tag();
                if (tag != null && tag.startsWith("NN") && word.copyCount() == 0 && !isCompoundPart(deps, word)) {
                    String object = name(word);
                    if (object != null) {
                        tuples.add(SpiceTuple.object(object));
                    }
                }
            }
        }
        return tuples;
    }

    /** "orange" of the compound "orange circle" is no object of its own. */
    private static boolean isCompoundPart(SemanticGraph deps, IndexedWord word) {
        return deps.incomingEdgeList(word).stream()
                .anyMatch(e -> e.getRelation().getShortName().startsWith("compound"));
    }

    /**
     * The relation word(s): the parser names a relation it did not lemmatise after the UD edge
     * ({@code obl:next_to}, {@code nmod:on_top_of}): keep the preposition, with spaces.
     */
    static String relation(String label) {
        if (label == null) {
            return null;
        }
        String r = label;
        int colon = r.indexOf(':');
        if (colon >= 0) {
            r = r.substring(colon + 1);
        }
        return clean(r.replace('_', ' '));
    }

    /** The lemma (of the compound, where the parser made one), lower-cased; null for no word. */
    private static String name(IndexedWord word) {
        if (word == null) {
            return null;
        }
        String lemma = word.get(SceneGraphCoreAnnotations.CompoundLemmaAnnotation.class);
        if (lemma == null) {
            lemma = word.lemma();
        }
        if (lemma == null) {
            lemma = word.word();
        }
        return clean(lemma);
    }

    private static String clean(String s) {
        if (s == null) {
            return null;
        }
        String t = s.strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        return t.codePoints().anyMatch(Character::isLetterOrDigit) ? t : null;
    }
}
