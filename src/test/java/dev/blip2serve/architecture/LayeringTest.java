package dev.blip2serve.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The layering of docs/ARCHITECTURE.md, checked on the production classes. */
@AnalyzeClasses(packages = "dev.blip2serve", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {

    /** Checkpoint reading, graph building and the math: plain Java, usable without a runtime or a server. */
    static final String[] PURE = {
        "dev.blip2serve.checkpoint..",
        "dev.blip2serve.onnx..",
        "dev.blip2serve.blip2..",
        "dev.blip2serve.quantmath..",
        "dev.blip2serve.generation..",
        "dev.blip2serve.image..",
        "dev.blip2serve.eval.metrics..",
    };

    /** The jar's launcher: the root package, no layer of its own; it starts the service for {@code serve}. */
    static final String LAUNCHER = "dev.blip2serve.Blip2Serve";

    static ArchRule noSpringIn(String... packages) {
        return noClasses().that().resideInAnyPackage(packages)
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework..")
                .because("checkpoint reading, graph building and the math must not need Spring");
    }

    static ArchRule noOnnxRuntimeIn(String... packages) {
        return noClasses().that().resideInAnyPackage(packages)
                .should().dependOnClassesThat().resideInAnyPackage("ai.onnxruntime..")
                .because("checkpoint reading, graph building and the math must not need ONNX Runtime");
    }

    static ArchRule onlyServeUsesServe(String... exempt) {
        return noClasses().that().resideOutsideOfPackage("dev.blip2serve.serve..")
                .and().doNotHaveFullyQualifiedName(exempt.length == 0 ? "-" : exempt[0])
                .should().dependOnClassesThat().resideInAPackage("dev.blip2serve.serve..")
                .because("the web service sits on top; no layer below may reach up into it");
    }

    @ArchTest
    static final ArchRule pureLayersDoNotUseSpring = noSpringIn(PURE);

    @ArchTest
    static final ArchRule pureLayersDoNotUseOnnxRuntime = noOnnxRuntimeIn(PURE);

    @ArchTest
    static final ArchRule graphBuilderKnowsNoHuggingFaceFiles = noClasses()
            .that().resideInAPackage("dev.blip2serve.blip2..")
            .and().resideOutsideOfPackage("dev.blip2serve.blip2.hf..")
            .should().dependOnClassesThat().haveFullyQualifiedName("dev.blip2serve.checkpoint.Checkpoint")
            .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.blip2serve.checkpoint.SafetensorsFile")
            .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.blip2serve.checkpoint.TensorInfo")
            .because("the graph builder knows no Hugging Face tensor names or files; only blip2.hf maps them");

    /**
     * The NVML binding needs only the JDK (FFM), so its probe runs on a {@code java.base}-only runtime on a GPU box; and
     * it must stay out of Spring and ONNX Runtime like the pure layers.
     */
    @ArchTest
    static final ArchRule gpuBindingUsesOnlyTheJdk = gpuOnlyUsesTheJdk();

    static ArchRule gpuOnlyUsesTheJdk() {
        return classes().that().resideInAPackage(GPU)
                .should().onlyDependOnClassesThat().resideInAnyPackage("java.lang..", "java.util..", "java.io..",
                        "java.nio..", GPU)
                .because("the NVML probe runs on a java.base-only runtime: no Spring, no ONNX Runtime, no JSON library");
    }

    /** The NVML binding (FFM, no JNI). */
    static final String GPU = "dev.blip2serve.gpu..";

    /** The Hugging Face Hub client. */
    static final String HUB = "dev.blip2serve.hub..";

    /**
     * The hub client is shared by the CLI and the service: the JDK's HTTP client, Jackson and the manifests of the
     * {@code repository} package, nothing else (no Spring, no ONNX Runtime, no logging framework).
     */
    @ArchTest
    static final ArchRule hubUsesOnlyTheJdkJacksonAndManifests = hubOnlyUsesTheJdkJacksonAndManifests();

    static ArchRule hubOnlyUsesTheJdkJacksonAndManifests() {
        return classes().that().resideInAPackage(HUB)
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "tools.jackson..",
                        "dev.blip2serve.repository..", HUB)
                .because("the hub client is pure JDK + Jackson, shared by the CLI and the service");
    }

    /** Only the service uses the service; the launcher is exempt (see {@link #LAUNCHER}). */
    @ArchTest
    static final ArchRule nothingOutsideServeUsesServe = onlyServeUsesServe(LAUNCHER);

    /** The batch scheduler says why it refused (a domain outcome); only the web layer turns that into HTTP. */
    @ArchTest
    static final ArchRule schedulerKnowsNoHttp = noClasses().that().resideInAPackage("dev.blip2serve.serve.batch..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.blip2serve.serve.web..", "org.springframework.http..")
            .because("the scheduler returns domain outcomes that the web layer maps onto problems");

    /** The quantize pipeline builds variants; evaluating them (engine, reproduce, bench) sits above it. */
    @ArchTest
    static final ArchRule quantizeDoesNotEvaluate = noClasses().that().resideInAPackage("dev.blip2serve.quantize..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.blip2serve.engine..", "dev.blip2serve.reproduce..",
                    "dev.blip2serve.bench..")
            .because("reproduce evaluates variants on top of quantize, not inside it");

    @ArchTest
    static final ArchRule noCyclesBetweenTopLevelPackages = slices()
            .matching("dev.blip2serve.(*)..")
            .should().beFreeOfCycles();
}
