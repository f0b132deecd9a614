package dev.blip2serve.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PtbTokenizerTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "A man riding a horse.            | a man riding a horse",
        "a few shapes.                    | a few shapes",
        "A  Red\tCircle!                  | a red circle",
        "wait... what?!                   | wait what",
        "red, green; blue: yellow         | red green blue yellow",
        "I don't know                     | i do n't know",
        "it can't be, it won't            | it ca n't be it wo n't",
        "don’t                            | do n't",
        "It's the dog's bone              | it 's the dog 's bone",
        "I'm sure they're here, we'll see | i 'm sure they 're here we 'll see",
        "I'd say we've won                | i 'd say we 've won",
        "the dogs' toys                   | the dogs toys",
        "it 's fine                       | it 's fine",
        "at five o'clock                  | at five o'clock",
        "you cannot                       | you can not",
        "gonna go                         | gon na go",
        "he said \"hello\"                | he said hello",
        "“quoted” and ‘single’            | quoted and single",
        "a 'quoted' word                  | a quoted word",
        "`` latex '' quotes               | latex quotes",
        "a red circle (small)             | a red circle -lrb- small -rrb-",
        "a [small] {red} circle           | a -lsb- small -rsb- -lcb- red -rcb- circle",
        "a black-and-white photo          | a black-and-white photo",
        "rock -- paper — scissors - go    | rock paper scissors go",
        "3.5 inches and 1,000 dots at 10:30 | 3.5 inches and 1,000 dots at 10:30",
        "it costs $5 or 50%               | it costs $ 5 or 50 %",
        "count -5 to 5.                   | count -5 to 5",
        "Mr. Smith went to the U.S. today | mr. smith went to the u.s. today",
        "shapes, e.g. circles             | shapes e.g. circles",
        "a black/white cat                | a black\\/white cat",
        "AT&T and b&w                     | at&t and b & w",
        "salt &amp; pepper                | salt & pepper",
        "a grey colour                    | a gray color",
        "Grey skies and colours           | grey skies and colors",
        "a detour to the centre           | a detour to the center",
        "the '90s and 'em                 | the '90s and 'em",
    })
    void tokenizesLikePtbThenDropsPunctuation(String caption, String expected) {
        assertEquals(expected, PtbTokenizer.normalize(caption));
    }

    @Test
    void newlinesAreSpaces() {
        assertEquals("line one line two", PtbTokenizer.normalize("line one\nline two\r\n"));
    }

    @Test
    void emptyAndPunctuationOnlyCaptionsGiveNoTokens() {
        assertEquals(List.of(), PtbTokenizer.tokenize(""));
        assertEquals(List.of(), PtbTokenizer.tokenize("   "));
        assertEquals(List.of(), PtbTokenizer.tokenize(" ... , ! ? -- \" ' `"));
    }

    @Test
    void tokenizeReturnsTheSpaceSeparatedTokensOfNormalize() {
        assertEquals(List.of("do", "n't", "stop"), PtbTokenizer.tokenize("Don't stop."));
    }

    @Test
    void americanizesOnlyWordsInCoreNlpsListOrRules() {
        assertEquals("color", Americanizer.americanize("colour"));
        assertEquals("behaviors", Americanizer.americanize("behaviours"));
        assertEquals("devour", Americanizer.americanize("devour"));
        assertEquals("hour", Americanizer.americanize("hour"));
        assertEquals("program", Americanizer.americanize("programme"));
        assertEquals("Grey", Americanizer.americanize("Grey"));
    }
}
