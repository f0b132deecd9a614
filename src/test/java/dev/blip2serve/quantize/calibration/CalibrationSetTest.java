package dev.blip2serve.quantize.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.blip2serve.testing.Fixtures;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The first N items, or N items drawn with a seed: reproducible, distinct, in file order, hashed as used. */
class CalibrationSetTest {

    private static List<Path> images(CalibrationSet set) {
        return set.items().stream().map(CalibrationSet.Item::image).toList();
    }

    @Test
    void theFirstItemsAreTheLimitOfOldAndHashTheSame() throws Exception {
        CalibrationSet first = CalibrationSet.read(Fixtures.SHAPES_CALIB, CalibrationSet.Selection.first(5));
        CalibrationSet limited = CalibrationSet.read(Fixtures.SHAPES_CALIB, 5);
        assertThat(images(first)).isEqualTo(images(limited)).hasSize(5);
        assertThat(first.sha256()).isEqualTo(limited.sha256());
        assertThat(images(first).getFirst().getFileName()).hasToString("calib-0000.png");
    }

    @Test
    void aDrawIsReproducibleDistinctAndInFileOrder() throws Exception {
        CalibrationSet all = CalibrationSet.read(Fixtures.SHAPES_CALIB, 0);
        CalibrationSet a = CalibrationSet.read(Fixtures.SHAPES_CALIB, CalibrationSet.Selection.drawn(96, 3));
        CalibrationSet again = CalibrationSet.read(Fixtures.SHAPES_CALIB, CalibrationSet.Selection.drawn(96, 3));
        CalibrationSet other = CalibrationSet.read(Fixtures.SHAPES_CALIB, CalibrationSet.Selection.drawn(96, 4));

        assertThat(images(a)).hasSize(96).doesNotHaveDuplicates().isEqualTo(images(again));
        assertThat(a.sha256()).isEqualTo(again.sha256()).isNotEqualTo(other.sha256());
        assertThat(images(a)).isNotEqualTo(images(other));
        assertThat(images(all)).containsAll(images(a));
        List<Integer> positions = images(a).stream().map(images(all)::indexOf).toList();
        assertThat(positions).isSorted();
        assertThat(positions).isNotEqualTo(java.util.stream.IntStream.range(0, 96).boxed().toList());
        // each item keeps its own LM text
        for (CalibrationSet.Item it : a.items()) {
            assertThat(it.text()).isEqualTo(all.items().get(images(all).indexOf(it.image())).text());
        }
    }

    @Test
    void impossibleSelectionsSayWhy() {
        assertThatThrownBy(() -> CalibrationSet.read(Fixtures.SHAPES_CALIB, CalibrationSet.Selection.drawn(500, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot draw 500 of its 128 items");
        assertThatThrownBy(() -> new CalibrationSet.Selection(0, 1L))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("give a limit too");
        assertThatThrownBy(() -> CalibrationSet.Selection.first(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be >= 0");
    }
}
