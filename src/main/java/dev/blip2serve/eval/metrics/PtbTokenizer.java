package dev.blip2serve.eval.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The caption normalisation pycocoevalcap applies before scoring: Stanford CoreNLP 3.4.1's
 * {@code PTBTokenizer -preserveLines -lowerCase}, then removal of the tokens in pycocoevalcap's
 * punctuation list. This is a Java re-implementation of the parts that matter for English captions.
 *
 * <p>What it does, as CoreNLP does:
 * <ul>
 *   <li>lowercases (after tokenising) and treats each caption as one line;</li>
 *   <li>splits off punctuation {@code , ; : ? ! .} and drops it; keeps the period of abbreviations and
 *       acronyms ({@code "mr."}, {@code "u.s."}, single letters, CoreNLP's month/state/title list,
 *       matched caselessly) and of decimals ({@code "3.5"}); keeps {@code "1,000"} and {@code "10:30"};</li>
 *   <li>splits clitics: {@code "don't" -> "do n't"}, {@code "can't" -> "ca n't"}, {@code "it's" -> "it 's"},
 *       {@code 'm 'd 're 've 'll} likewise, {@code "cannot" -> "can not"}, {@code "gonna" -> "gon na"}
 *       (also gotta, wanna, gimme, lemme); keeps {@code "o'clock"}, {@code "'em"}, {@code "'90s"};</li>
 *   <li>turns quotes ({@code " ' ` “ ” ‘ ’ « »}), ellipses and dashes ({@code - -- – —}) into PTB tokens,
 *       which the punctuation list then drops;</li>
 *   <li>keeps hyphenated words whole ({@code "black-and-white"});</li>
 *   <li>writes brackets as {@code -lrb- -rrb- -lsb- -rsb- -lcb- -rcb-}: pycocoevalcap's list names the
 *       upper-case forms ({@code -LRB-}) but compares after lowercasing, so bracket tokens stay in the text,
 *       exactly as in pycocoevalcap;</li>
 *   <li>escapes {@code /} and {@code *} as {@code \/} and {@code \*} (PTB3 escaping), and keeps
 *       {@code "black/white"} as one token;</li>
 *   <li>americanizes spelling ({@code "grey" -> "gray"}, {@code "colour" -> "color"}) with CoreNLP's word
 *       list and rules, case-sensitively before lowercasing, as CoreNLP's default {@code americanize} does.</li>
 * </ul>
 *
 * <p>Known differences from CoreNLP: URLs, e-mail addresses, SGML/HTML tags, phone numbers, fractions
 * ({@code ½}), currency normalisation and CoreNLP's finer rules for apostrophe words ({@code "y'all"},
 * {@code "somethin'"}) are not reproduced; such text is split at its punctuation instead. Curly apostrophes
 * are normalised to {@code '} in every token. Characters CoreNLP cannot tokenise are kept as one-character
 * tokens rather than deleted (control and format characters are deleted). None of these occur in ordinary
 * captions; an empty or punctuation-only caption gives an empty token list.
 */
public final class PtbTokenizer {

    /** pycocoevalcap's PUNCTUATIONS, compared with the lowercased tokens (so the bracket entries never match). */
    private static final Set<String> PUNCTUATION = Set.of(
            "''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--", "...", ";");

    private PtbTokenizer() {
    }

    /** Tokens of a caption, lowercased, with pycocoevalcap's punctuation tokens removed. */
    public static List<String> tokenize(String caption) {
        List<String> tokens = new ArrayList<>();
        for (String token : PtbLexer.lex(caption)) {
            String lower = token.toLowerCase(Locale.ROOT);
            if (!PUNCTUATION.contains(lower)) {
                tokens.add(lower);
            }
        }
        return tokens;
    }

    /** The normalised caption: {@link #tokenize} joined by single spaces, as pycocoevalcap passes it on. */
    public static String normalize(String caption) {
        return String.join(" ", tokenize(caption));
    }
}
