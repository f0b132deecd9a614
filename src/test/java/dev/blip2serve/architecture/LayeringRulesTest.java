package dev.blip2serve.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The rules of {@link LayeringTest} are not vacuous: their packages exist and they catch a real dependency. */
class LayeringRulesTest {

    private static JavaClasses production;

    @BeforeAll
    static void importProduction() {
        production = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.blip2serve");
    }

    @Test
    void everyPurePackageHoldsClasses() {
        for (String p : LayeringTest.PURE) {
            assertThat(production.that(resideInAPackage(p))).as(p + " (a typo would make the rule vacuous)").isNotEmpty();
        }
        assertThat(production.that(resideInAPackage("dev.blip2serve.blip2.hf.."))).isNotEmpty();
    }

    @Test
    void gpuRuleHasClassesAndWouldCatchADependencyOutsideTheJdk() {
        assertThat(production.that(resideInAPackage(LayeringTest.GPU))).as("the NVML binding").isNotEmpty();
        assertThat(LayeringTest.gpuOnlyUsesTheJdk().evaluate(production).hasViolation()).isFalse();
        // The same rule over the service's GPU metrics (Spring, Micrometer) must report violations.
        assertThat(com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes()
                .that().haveFullyQualifiedName("dev.blip2serve.serve.model.GpuMemoryMetrics")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java.lang..", "java.util..", "java.io..",
                        "java.nio..", LayeringTest.GPU)
                .evaluate(production).hasViolation()).isTrue();
    }

    @Test
    void hubRuleHasClassesAndWouldCatchSpring() {
        assertThat(production.that(resideInAPackage(LayeringTest.HUB))).as("the hub client").isNotEmpty();
        assertThat(LayeringTest.hubOnlyUsesTheJdkJacksonAndManifests().evaluate(production).hasViolation()).isFalse();
        // the service's side of the hub (Spring, SLF4J) breaks the same rule
        assertThat(com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes()
                .that().haveFullyQualifiedName("dev.blip2serve.serve.model.HubModels")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "tools.jackson..",
                        "dev.blip2serve.repository..", LayeringTest.HUB)
                .evaluate(production).hasViolation()).isTrue();
    }

    @Test
    void onnxRuntimeRuleCatchesTheRuntimePackage() {
        // dev.blip2serve.runtime wraps ONNX Runtime, so the same rule applied to it must report violations.
        assertThat(LayeringTest.noOnnxRuntimeIn("dev.blip2serve.runtime..").evaluate(production).hasViolation()).isTrue();
    }

    @Test
    void serveRuleCatchesTheLauncherWhenNotExempt() {
        assertThat(LayeringTest.onlyServeUsesServe().evaluate(production).hasViolation()).isTrue();
        assertThat(LayeringTest.onlyServeUsesServe(LayeringTest.LAUNCHER).evaluate(production).hasViolation()).isFalse();
    }
}
