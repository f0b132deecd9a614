package dev.blip2serve.reproduce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The paired standard error of two variants' per-position KL. */
class FidelityResultTest {

    @Test
    void pairedStandardErrorOfTheMeanDifference() {
        Fidelity.Result a = new Fidelity.Result(1, new double[] {1, 2, 3, 4});
        Fidelity.Result b = new Fidelity.Result(1, new double[] {0, 0, 0, 0});
        // differences 1..4: sample variance 5/3, standard error sqrt(5/3 / 4)
        assertThat(a.pairedStandardError(b)).isCloseTo(Math.sqrt(5.0 / 3 / 4), within(1e-12));
        // a constant offset has no spread
        Fidelity.Result c = new Fidelity.Result(1, new double[] {2, 3, 4, 5});
        assertThat(c.pairedStandardError(a)).isZero();
        assertThat(a.pairedStandardError(new Fidelity.Result(1, new double[] {0}))).isNaN();
    }
}
