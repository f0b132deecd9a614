package dev.blip2serve.quantmath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class QuantSpecTest {

    @Test
    void rejectsBitsOtherThanThreeFourEight() {
        assertThatThrownBy(() -> QuantSpec.grouped(5, 128, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bits must be 3, 4 or 8, got 5");
        assertThatThrownBy(() -> QuantSpec.perTensor(2, true)).hasMessageContaining("got 2");
        assertThatThrownBy(() -> QuantSpec.perChannel(16, true)).hasMessageContaining("got 16");
    }

    @Test
    void groupSizeMustBeAPowerOfTwoOfAtLeastSixteen() {
        assertThatThrownBy(() -> QuantSpec.grouped(4, 100, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("group size must be a power of two >= 16, got 100");
        assertThatThrownBy(() -> QuantSpec.grouped(4, 8, false)).hasMessageContaining("got 8");
        assertThatThrownBy(() -> QuantSpec.grouped(4, 0, false)).hasMessageContaining("got 0");
        assertThat(QuantSpec.grouped(4, 16, false).groupSize()).isEqualTo(16);
    }

    @Test
    void groupSizeMustDivideK() {
        QuantSpec spec = QuantSpec.grouped(4, 128, false);
        assertThatThrownBy(() -> spec.requireCols(2560 + 64))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("group size 128 does not divide K = 2624");
        spec.requireCols(2560);
        assertThatThrownBy(() -> WeightQuantizer.quantize(new float[2 * 96], 2, 96, QuantSpec.grouped(4, 64, true)))
                .hasMessage("group size 64 does not divide K = 96");
    }

    @Test
    void groupSizeOnlyWithGroupGranularity() {
        assertThatThrownBy(() -> new QuantSpec(8, QuantSpec.Granularity.PER_CHANNEL, 128, true))
                .hasMessageContaining("only GROUP takes one");
    }

    @Test
    void integerRanges() {
        assertThat(QuantSpec.perChannel(8, true).qmax()).isEqualTo(127);
        assertThat(QuantSpec.perChannel(8, true).qmin()).isEqualTo(-127);
        assertThat(QuantSpec.perChannel(8, false).qmax()).isEqualTo(255);
        assertThat(QuantSpec.grouped(4, 128, true).qmax()).isEqualTo(7);
        assertThat(QuantSpec.grouped(4, 128, false).qmax()).isEqualTo(15);
        assertThat(QuantSpec.grouped(3, 128, true).qmax()).isEqualTo(3);
        assertThat(QuantSpec.grouped(3, 128, false).qmax()).isEqualTo(7);
    }

    @Test
    void blockCounts() {
        assertThat(QuantSpec.grouped(4, 128, false).scaleCount(10, 2560)).isEqualTo(200);
        assertThat(QuantSpec.perChannel(8, true).scaleCount(10, 2560)).isEqualTo(10);
        assertThat(QuantSpec.perTensor(8, true).scaleCount(10, 2560)).isEqualTo(1);
        assertThat(QuantSpec.grouped(4, 128, false).label()).isEqualTo("int4-asym-g128");
        assertThat(QuantSpec.perToken(8, true).label()).isEqualTo("int8-sym-per-token");
    }

    @Test
    void granularityBelongsToItsTensorKind() {
        assertThatThrownBy(() -> WeightQuantizer.fakeQuantize(new float[4 * 16], 4, 16, QuantSpec.perToken(8, true)))
                .hasMessageContaining("PER_TOKEN is an activation granularity");
        assertThatThrownBy(() -> ActivationQuantizer.fakeQuantize(new float[4 * 16], 4, 16,
                QuantSpec.perChannel(8, true)))
                .hasMessageContaining("PER_CHANNEL is a weight granularity");
    }
}
