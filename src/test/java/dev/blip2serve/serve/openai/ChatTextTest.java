package dev.blip2serve.serve.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The prompt template and the stop strings, alone. */
class ChatTextTest {

    private static Blip2ChatTemplate.Turn user(String text) {
        return new Blip2ChatTemplate.Turn(true, text);
    }

    private static Blip2ChatTemplate.Turn assistant(String text) {
        return new Blip2ChatTemplate.Turn(false, text);
    }

    @Test
    void turnsRenderAsQuestionsAndAnswersAndTheOldestGoFirstWhenTooLong() {
        assertThat(Blip2ChatTemplate.render(List.of(user("")), 100)).isEmpty();
        assertThat(Blip2ChatTemplate.render(List.of(user("  what shape?  ")), 100)).isEqualTo("Question: what shape? Answer:");
        List<Blip2ChatTemplate.Turn> turns = List.of(user("what shape?"), assistant("a circle"), user("what color?"));
        String all = "Question: what shape? Answer: a circle Question: what color? Answer:";
        assertThat(Blip2ChatTemplate.render(turns, 100)).isEqualTo(all);
        assertThat(Blip2ChatTemplate.render(turns, all.length() - 1))
                .isEqualTo("Answer: a circle Question: what color? Answer:");
        assertThat(Blip2ChatTemplate.render(turns, "Question: what color? Answer:".length()))
                .isEqualTo("Question: what color? Answer:");
        assertThat(Blip2ChatTemplate.render(turns, 10)).isNull();
    }

    @Test
    void stopStringsCutAtTheEarliestAndHoldBackPossibleStarts() {
        StopStrings stops = new StopStrings(List.of("circle", "\n"));
        assertThat(stops.truncate("a red circle\nand more")).isEqualTo("a red ");
        assertThat(stops.truncate("a red square")).isEqualTo("a red square");
        assertThat(stops.cut("a\nred circle")).isEqualTo(1);
        // "a red ci" may become "a red circle": "ci" waits
        assertThat(stops.safeLength("a red ci")).isEqualTo("a red ".length());
        assertThat(stops.safeLength("a red cu")).isEqualTo("a red cu".length());
        assertThat(stops.safeLength("a red circle big")).isEqualTo("a red ".length());
        assertThat(new StopStrings(List.of()).safeLength("anything")).isEqualTo(8);
    }
}
