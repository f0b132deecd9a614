package dev.blip2serve.eval.spice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.Test;

/** The models jar is a test dependency: CoreNLP sees all SPICE needs. */
class CoreNlpModelsTest {

    @Test
    void theModelsAreOnTheTestClassPath() {
        assertThat(CoreNlpModels.available()).isTrue();
        assertThatCode(CoreNlpModels::require).doesNotThrowAnyException();
        assertThat(CoreNlpModels.mavenJar().toString()).endsWith("stanford-corenlp-4.5.10-models.jar");
    }
}
