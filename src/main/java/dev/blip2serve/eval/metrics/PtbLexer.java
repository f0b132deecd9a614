package dev.blip2serve.eval.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.regex.Pattern;

/**
 * A hand-written approximation of CoreNLP 3.4.1's PTBLexer with its default (PTB3) options, for one
 * line of English text. It returns tokens in their original case; {@link PtbTokenizer} lowercases them
 * and drops punctuation. See {@link PtbTokenizer} for what it covers and where it differs.
 */
final class PtbLexer {

    /** CoreNLP's abbreviation lists (months, days, US states, companies, titles, ...), matched caselessly. */
    private static final Set<String> ABBREVIATIONS = Set.of(
            "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
            "mon", "tue", "tues", "wed", "thu", "thurs", "fri",
            "calif", "mass", "conn", "fla", "ill", "mich", "pa", "va", "ariz", "tenn", "mo", "md", "wis", "minn",
            "ind", "okla", "wash", "kan", "ore", "ga", "colo", "ky", "del", "ala", "la", "nev", "neb", "ark",
            "miss", "vt", "wyo", "tex",
            "inc", "co", "cos", "corp", "pty", "ltd", "plc", "bancorp", "dept", "mfg", "bhd", "assn",
            "no", "nos", "prop", "ph", "jr", "bros", "sr", "etc", "ft",
            "mr", "mrs", "ms", "dr", "drs", "prof", "profs", "sen", "sens", "rep", "reps", "lt", "col", "gen",
            "messrs", "gov", "govs", "adm", "rev", "maj", "sgt", "pvt", "mt", "capt", "st", "ave", "pres",
            "vs", "alex", "cie", "treas");

    private static final List<String> CLITICS = List.of("'s", "'m", "'d", "'re", "'ve", "'ll");
    /** Words PTB splits in two although they have no apostrophe. */
    private static final Set<String> ASSIMILATIONS = Set.of("gonna", "gotta", "wanna", "gimme", "lemme");
    /** Words that legitimately start with an apostrophe. */
    private static final Set<String> APOSTROPHE_WORDS = Set.of("em", "til", "till", "cause", "twas");
    private static final Pattern ACRONYM = Pattern.compile("\\p{L}(\\.\\p{L})+");
    private static final Pattern ACRONYM_PREFIX = Pattern.compile("\\p{L}(\\.\\p{L})*");
    private static final int SOFT_HYPHEN = '\u00AD';

    private final String text;
    private final List<String> out = new ArrayList<>();
    private int pos;

    private PtbLexer(String text) {
        this.text = text;
    }

    static List<String> lex(String text) {
        PtbLexer lexer = new PtbLexer(text);
        lexer.run();
        return lexer.out;
    }

    private void run() {
        while (pos < text.length()) {
            int c = text.codePointAt(pos);
            if (isSpace(c) || isIgnorable(c)) {
                pos += Character.charCount(c);
            } else if (isWordChar(c)) {
                word(pos);
            } else if ((c == '-' || c == '+') && isDigit(at(pos + 1))) {
                // signed number: "-5" is one token
                int start = pos++;
                word(start);
            } else if (c == '.' && isDigit(at(pos + 1))) {
                int start = pos++;
                word(start);
            } else {
                symbol(c);
            }
        }
    }

    /** A word, number or hyphenated compound starting at {@code start}; scanning resumes at {@link #pos}. */
    private void word(int start) {
        while (pos < text.length()) {
            int c = text.codePointAt(pos);
            if (isWordChar(c) || c == SOFT_HYPHEN) {
                pos += Character.charCount(c);
                continue;
            }
            int prev = pos > start ? text.codePointBefore(pos) : -1;
            int next = at(pos + 1);
            boolean joins = switch (c) {
                case '-', '_' -> isWordChar(next);
                case '.' -> (isDigit(prev) && isDigit(next)) || continuesAcronym(start);
                case ',', ':' -> isDigit(prev) && isDigit(next);
                case '\'', '\u2019' -> Character.isLetter(next);
                case '&' -> Character.isUpperCase(prev) && Character.isUpperCase(next);
                case '/' -> Character.isLetterOrDigit(prev) && Character.isLetterOrDigit(next);
                default -> false;
            };
            if (!joins) {
                break;
            }
            pos++;
        }
        String word = text.substring(start, pos).replace(String.valueOf((char) SOFT_HYPHEN), "")
                .replace('\u2019', '\'').replace("/", "\\/");
        if (at(pos) == '.' && at(pos + 1) != '.' && isAbbreviation(word)) {
            pos++;
            out.add(word + ".");
        } else {
            emitWord(word);
        }
    }

    /** "u.s": a dot between single letters belongs to the acronym. */
    private boolean continuesAcronym(int start) {
        if (!ACRONYM_PREFIX.matcher(text.substring(start, pos)).matches()) {
            return false;
        }
        int next = at(pos + 1);
        return Character.isLetter(next) && !isWordChar(at(pos + 1 + Character.charCount(next)));
    }

    private static boolean isAbbreviation(String word) {
        return ACRONYM.matcher(word).matches()
                || (word.codePointCount(0, word.length()) == 1 && Character.isLetter(word.codePointAt(0)))
                || ABBREVIATIONS.contains(word.toLowerCase(Locale.ROOT));
    }

    /** Splits clitics ("do n't", "it 's") and assimilations ("can not", "gon na"), americanizes words. */
    private void emitWord(String word) {
        String lower = word.toLowerCase(Locale.ROOT);
        if (lower.equals("cannot")) {
            out.add(word.substring(0, 3));
            out.add(word.substring(3));
            return;
        }
        if (ASSIMILATIONS.contains(lower)) {
            out.add(word.substring(0, 3));
            out.add(word.substring(3));
            return;
        }
        int cliticLength = 0;
        if (lower.endsWith("n't")) {
            cliticLength = 3;
        } else {
            for (String clitic : CLITICS) {
                if (lower.endsWith(clitic) && lower.length() > clitic.length()) {
                    cliticLength = clitic.length();
                    break;
                }
            }
        }
        String stem = word.substring(0, word.length() - cliticLength);
        if (!stem.isEmpty()) {
            out.add(Americanizer.americanize(stem));
        }
        if (cliticLength > 0) {
            out.add(word.substring(word.length() - cliticLength));
        }
    }

    private void symbol(int c) {
        switch (c) {
            case '\'', '\u2019' -> apostrophe();
            case '"', '\u201C', '\u201D', '\u201E', '\u201F', '\u00AB', '\u00BB', '\u2039', '\u203A' -> single("''");
            case '\u2018', '\u201A', '\u201B' -> single("`");
            case '`' -> run('`', n -> n == 1 ? "`" : "``");
            case '(' -> single("-LRB-");
            case ')' -> single("-RRB-");
            case '[' -> single("-LSB-");
            case ']' -> single("-RSB-");
            case '{' -> single("-LCB-");
            case '}' -> single("-RCB-");
            case '.' -> run('.', n -> n >= 3 ? "..." : ".".repeat(n));
            case '\u2026' -> single("...");
            case '-' -> run('-', n -> n == 1 ? "-" : n <= 4 ? "--" : "-".repeat(n));
            case '\u2012', '\u2013', '\u2014', '\u2015' -> single("--");
            case '\u2212' -> single("-");
            case '&' -> {
                if (text.startsWith("&amp;", pos)) {
                    pos += "&amp;".length() - 1;
                }
                single("&");
            }
            case '/' -> single("\\/");
            case '*' -> run('*', n -> "\\*".repeat(n));
            default -> single(new String(Character.toChars(c)));
        }
    }

    /** A clitic ("'s"), an apostrophe word ("'em", "'90s"), or a quote. */
    private void apostrophe() {
        int p = pos + 1;
        int q = p;
        while (q < text.length() && Character.isLetter(text.codePointAt(q))) {
            q += Character.charCount(text.codePointAt(q));
        }
        String letters = text.substring(p, q);
        String lower = letters.toLowerCase(Locale.ROOT);
        boolean wordEnds = !isWordChar(q < text.length() ? text.codePointAt(q) : -1);
        if (!letters.isEmpty() && wordEnds && (CLITICS.contains("'" + lower) || APOSTROPHE_WORDS.contains(lower))) {
            out.add("'" + letters);
            pos = q;
            return;
        }
        if (isDigit(at(p)) && isDigit(at(p + 1))) {
            int end = p + 2;
            if (at(end) == 's' || at(end) == 'S') {
                end++;
            }
            if (!isWordChar(at(end))) {
                out.add("'" + text.substring(p, end));
                pos = end;
                return;
            }
        }
        single("'");
    }

    private void single(String token) {
        out.add(token);
        pos += Character.charCount(text.codePointAt(pos));
    }

    private void run(char c, IntFunction<String> token) {
        int end = pos;
        while (end < text.length() && text.charAt(end) == c) {
            end++;
        }
        out.add(token.apply(end - pos));
        pos = end;
    }

    private int at(int index) {
        return index >= 0 && index < text.length() ? text.codePointAt(index) : -1;
    }

    private static boolean isWordChar(int c) {
        if (c < 0) {
            return false;
        }
        int type = Character.getType(c);
        return Character.isLetterOrDigit(c) || type == Character.NON_SPACING_MARK
                || type == Character.COMBINING_SPACING_MARK || type == Character.ENCLOSING_MARK;
    }

    private static boolean isDigit(int c) {
        return c >= 0 && Character.isDigit(c);
    }

    private static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /** Control and format characters (zero-width spaces, stray soft hyphens): CoreNLP deletes them. */
    private static boolean isIgnorable(int c) {
        int type = Character.getType(c);
        return type == Character.CONTROL || type == Character.FORMAT;
    }
}
