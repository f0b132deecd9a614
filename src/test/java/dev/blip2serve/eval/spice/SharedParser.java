package dev.blip2serve.eval.spice;

/** One CoreNLP parser for all SPICE tests of a JVM: its models load once (a few seconds). */
final class SharedParser {

    private static final CoreNlpSceneGraphParser PARSER = new CoreNlpSceneGraphParser();
    private static final WordNetSynonyms SYNONYMS = WordNetSynonyms.withHypernyms();

    private SharedParser() {
    }

    static CoreNlpSceneGraphParser parser() {
        return PARSER;
    }

    static WordNetSynonyms synonyms() {
        return SYNONYMS;
    }
}
