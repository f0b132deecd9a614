package dev.blip2serve.quantize.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.blip2serve.quantmath.FloatMatrix;
import org.junit.jupiter.api.Test;

/** Streaming statistics: exact max and mean, a bounded sample spread over the items, in order. */
class ActivationStatsTest {

    static float[] item(int index, int rows, int k) {
        float[] x = new float[rows * k];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) {
                x[r * k + j] = (j == 1 ? -1 : 1) * (index * 100 + r + j * 0.5f);
            }
        }
        return x;
    }

    @Test
    void maxMeanAndABoundedEvenlySpreadSample() {
        ActivationStats s = new ActivationStats(2, 10, 4);   // 3 rows per item, at most 10
        int[] rows = {6, 1, 9, 12};
        for (int i = 0; i < 4; i++) {
            s.addItem(item(i, rows[i], 2), rows[i]);
        }
        assertThat(s.rows()).isEqualTo(28);
        assertThat(s.absMax()).containsExactly(311f, 311.5f);
        double sum0 = 0;
        for (int i = 0; i < 4; i++) {
            for (int r = 0; r < rows[i]; r++) {
                sum0 += i * 100 + r;
            }
        }
        assertThat(s.meanAbs()[0]).isEqualTo((float) (sum0 / 28));
        FloatMatrix sample = s.sample();
        assertThat(sample.rows()).isEqualTo(10);
        // item 0: rows 0, 2, 4 of 6; item 1: its only row; item 2: rows 0, 3, 6; item 3: the 3 rows left
        float[] firstCol = new float[10];
        for (int r = 0; r < 10; r++) {
            firstCol[r] = sample.get(r, 0);
        }
        assertThat(firstCol).containsExactly(0, 2, 4, 100, 200, 203, 206, 300, 304, 308);
    }

    @Test
    void aLargeRowBoundCostsOnlyTheRowsKept() {
        // 100 million rows of 4 would be 1.6 GB if reserved up front; the sample grows with what it keeps
        ActivationStats s = new ActivationStats(4, 100_000_000, 3);
        for (int i = 0; i < 3; i++) {
            s.addItem(item(i, 40, 4), 40);
        }
        assertThat(s.sample().rows()).isEqualTo(120);
        assertThat(s.sample().get(119, 0)).isEqualTo(239f);
        ActivationStats whole = new ActivationStats(4, 100_000_000, 3, true);
        for (int i = 0; i < 3; i++) {
            whole.addItem(item(i, 40 + i, 4), 40 + i);
        }
        assertThat(whole.sequenceLengths()).containsExactly(40, 41, 42);
    }

    @Test
    void theSampleIsTheSameForTheSameInput() {
        ActivationStats a = new ActivationStats(2, 5, 2);
        ActivationStats b = new ActivationStats(2, 5, 2);
        for (ActivationStats s : new ActivationStats[] {a, b}) {
            s.addItem(item(0, 7, 2), 7);
            s.addItem(item(1, 7, 2), 7);
        }
        assertThat(a.sample().data()).containsExactly(b.sample().data());
    }

    @Test
    void wholeSequencesAreKeptWholeAndSpreadOverTheItems() {
        // first item 4 rows: room for 12 / 4 = 3 items of 9, so every third item while whole items fit
        ActivationStats s = new ActivationStats(2, 12, 9, true);
        int[] rows = {4, 3, 3, 5, 2, 2, 6, 3, 3};
        for (int i = 0; i < rows.length; i++) {
            s.addItem(item(i, rows[i], 2), rows[i]);
        }
        assertThat(s.wholeSequences()).isTrue();
        assertThat(s.sequenceLengths()).containsExactly(4, 5);   // item 6 (6 rows) no longer fits
        FloatMatrix sample = s.sample();
        assertThat(sample.rows()).isEqualTo(9);
        assertThat(sample.get(4, 0)).isEqualTo(300f);
        assertThat(sample.get(8, 0)).isEqualTo(304f);
        assertThat(s.rows()).isEqualTo(31);   // the statistics still see every row
    }

    @Test
    void aFirstSequenceLongerThanTheSampleIsCut() {
        ActivationStats s = new ActivationStats(2, 5, 3, true);
        s.addItem(item(0, 8, 2), 8);
        s.addItem(item(1, 2, 2), 2);
        assertThat(s.sequenceLengths()).containsExactly(5);
        assertThat(s.sample().rows()).isEqualTo(5);
        assertThatThrownBy(() -> new ActivationStats(2, 5, 3).sequenceLengths()).isInstanceOf(IllegalStateException.class);
    }
}
