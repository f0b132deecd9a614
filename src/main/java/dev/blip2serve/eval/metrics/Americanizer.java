package dev.blip2serve.eval.metrics;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * British to American spelling, as CoreNLP's PTBTokenizer applies it by default ({@code americanize=true}
 * in CoreNLP 3.4.1, the version pycocoevalcap runs): a fixed word list plus a few suffix rules.
 * It runs before lowercasing and is case-sensitive, like CoreNLP's, so "grey" becomes "gray" but "Grey"
 * stays "grey" after lowercasing.
 */
final class Americanizer {

    private static final int MIN_LENGTH_CHANGED = 4;
    private static final int MIN_LENGTH_PATTERN = 6;

    /** British, American pairs. */
    private static final String WORDS = """
            anaesthetic anesthetic analogue analog analogues analogs analyse analyze analysed analyzed
            analysing analyzing armoured armored cancelled canceled cancelling canceling candour candor
            capitalise capitalize capitalised capitalized capitalisation capitalization centre center
            chimaeric chimeric clamour clamor coloured colored colouring coloring colourful colorful
            defence defense Defence Defense discolour discolor discolours discolors discoloured discolored
            discolouring discoloring encyclopaedia encyclopedia endeavour endeavor endeavours endeavors
            endeavoured endeavored endeavouring endeavoring fervour fervor favour favor favours favors
            favoured favored favouring favoring favourite favorite favourites favorites fibre fiber
            fibres fibers finalise finalize finalised finalized finalising finalizing flavour flavor
            flavours flavors flavoured flavored flavouring flavoring glamour glamour grey gray harbour harbor
            harbours harbors homologue homolog homologues homologs honour honor honours honors honoured honored
            honouring honoring honourable honorable humour humor humours humors humoured humored
            humouring humoring kerb curb labelled labeled labelling labeling labour labor Labour Labor
            labours labors laboured labored labouring laboring leant leaned learnt learned localise localize
            localised localized manoeuvre maneuver manoeuvres maneuvers maximise maximize maximised maximized
            maximising maximizing meagre meager minimise minimize minimised minimized minimising minimizing
            modernise modernize modernised modernized modernising modernizing misdemeanour misdemeanor
            misdemeanours misdemeanors neighbour neighbor neighbours neighbors neighbourhood neighborhood
            neighbourhoods neighborhoods oestrogen estrogen oestrogens estrogens organisation organization
            organisations organizations penalise penalize penalised penalized popularise popularize
            popularised popularized popularises popularizes popularising popularizing practise practice
            practised practiced pressurise pressurize pressurised pressurized pressurises pressurizes
            pressurising pressurizing realise realize realised realized realising realizing realises realizes
            recognise recognize recognised recognized recognising recognizing recognises recognizes
            rumoured rumored rumouring rumoring savour savor savours savors savoured savored savouring savoring
            splendour splendor splendours splendors theatre theater theatres theaters titre titer titres titers
            travelled traveled travelling traveling
            """;

    private static final Map<String, String> MAPPING = new HashMap<>();

    static {
        String[] words = WORDS.strip().split("\\s+");
        for (int i = 0; i < words.length; i += 2) {
            MAPPING.put(words[i], words[i + 1]);
        }
    }

    /** Suffix rules, tried in order; the first that matches (and has no exception) rewrites the word. */
    private record Rule(Pattern pattern, String replacement, Pattern exception) {
    }

    private static final Rule[] RULES = {
        new Rule(Pattern.compile("haem(at)?o"), "hem$1o", null),
        new Rule(Pattern.compile("aemia$"), "emia", null),
        new Rule(Pattern.compile("([lL])eukaem"), "$1eukem", null),
        new Rule(Pattern.compile("programme(s?)$"), "program$1", null),
        // colour -> color, behaviours -> behaviors; words where "our" is not the British suffix are exempt
        new Rule(Pattern.compile("^([a-z]{3,})our(s?)$"), "$1or$2", Pattern.compile(
                "abatjour|beflour|bonjour|calambour|carrefour|cornflour|contour|de[tv]our|dortour|dyvour|downpour"
                        + "|giaour|glamour|holour|inpour|outpour|pandour|paramour|pompadour|recontour|repour"
                        + "|ryeflour|sompnour|tambour|troubadour|tregetour|velour")),
    };

    private Americanizer() {
    }

    static String americanize(String word) {
        if (word.length() < MIN_LENGTH_CHANGED) {
            return word;
        }
        String mapped = MAPPING.get(word);
        if (mapped != null) {
            return mapped;
        }
        if (word.length() < MIN_LENGTH_PATTERN) {
            return word;
        }
        for (Rule rule : RULES) {
            Matcher m = rule.pattern.matcher(word);
            if (m.find()) {
                if (rule.exception != null && rule.exception.matcher(word).find()) {
                    continue;
                }
                return m.replaceAll(rule.replacement);
            }
        }
        return word;
    }
}
