package dev.blip2serve.deploy;

import static dev.blip2serve.deploy.DeployTools.ROOT;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The Dockerfile, checked without a Docker engine: the dockerfile-utils linter (npm, deploy/tools) and the
 * hadolint-style rules that matter here, read from the parsed instructions: pinned base images (DL3006/DL3007), a
 * non-root USER in every runtime stage (DL3002), exec-form ENTRYPOINT/CMD (DL3025), absolute WORKDIR (DL3000), COPY
 * rather than ADD (DL3020), no secrets in ENV/ARG; and what issue 6 asks of the images: a GPU build with the gpu
 * profile on a CUDA 12 + cuDNN 9 runtime with a Temurin 25 JRE as the default target, a CPU target, java exec'd
 * directly, /tmp for everything written (DJL, ONNX Runtime), the model repository a volume and never copied in.
 */
class DockerfileTest {

    record Instruction(int line, String keyword, String args) {
    }

    record Stage(String name, String base, List<Instruction> instructions) {

        List<Instruction> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
        }

        Instruction last(String keyword) {
            List<Instruction> found = all(keyword);
            assertThat(found).as(name + ": " + keyword).isNotEmpty();
            return found.getLast();
        }

        String env() {
            return String.join("\n", all("ENV").stream().map(Instruction::args).toList());
        }
    }

    static List<Instruction> instructions;
    static Map<String, String> globalArgs = new HashMap<>();
    static List<Stage> stages = new ArrayList<>();

    @BeforeAll
    static void parse() throws IOException {
        instructions = instructions(Files.readAllLines(ROOT.resolve("Dockerfile")));
        Stage current = null;
        for (Instruction i : instructions) {
            if (i.keyword().equals("FROM")) {
                String[] parts = i.args().split("\\s+");
                String name = parts.length >= 3 && parts[1].equalsIgnoreCase("AS") ? parts[2] : "#" + stages.size();
                current = new Stage(name, parts[0], new ArrayList<>());
                stages.add(current);
            } else if (current == null) {
                assertThat(i.keyword()).as("only ARG before the first FROM").isEqualTo("ARG");
                String[] kv = i.args().split("=", 2);
                globalArgs.put(kv[0], kv.length > 1 ? kv[1] : null);
            } else {
                current.instructions().add(i);
            }
        }
    }

    /** Instructions with continuation lines joined and comments dropped. */
    static List<Instruction> instructions(List<String> lines) {
        List<Instruction> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int start = 0;
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            if (line.strip().startsWith("#") || (cur.isEmpty() && line.isBlank())) {
                continue;
            }
            if (cur.isEmpty()) {
                start = n + 1;
            }
            if (line.endsWith("\\")) {
                cur.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            cur.append(line);
            String text = cur.toString().strip();
            cur.setLength(0);
            int sp = text.indexOf(' ');
            out.add(new Instruction(start, text.substring(0, sp).toUpperCase(Locale.ROOT), text.substring(sp + 1).strip()));
        }
        assertThat(cur).as("a continuation line at the end").isEmpty();
        return out;
    }

    private static String resolve(String image) {
        Matcher m = Pattern.compile("^\\$\\{?(\\w+)}?$").matcher(image);
        if (m.matches()) {
            assertThat(globalArgs).as("ARG " + m.group(1)).containsKey(m.group(1));
            return globalArgs.get(m.group(1));
        }
        return image;
    }

    private static Stage stage(String name) {
        return stages.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no stage " + name));
    }

    @Test
    void theLinterAcceptsIt() {
        Path linter = DeployTools.require(DeployTools.dockerfileLinter(), "dockerfile-utils (npm, deploy/tools)");
        DeployTools.Result r = DeployTools.ok(DeployTools.cmd(linter, "lint", ROOT.resolve("Dockerfile").toString()));
        assertThat(r.all().strip()).isEmpty();
    }

    @Test
    void theLinterCatchesABrokenDockerfile() throws IOException {
        Path linter = DeployTools.require(DeployTools.dockerfileLinter(), "dockerfile-utils (npm, deploy/tools)");
        Path bad = Files.createTempFile("blip2-bad", ".Dockerfile");
        try {
            Files.writeString(bad, "FROM eclipse-temurin:25-jre\nEXPOSE http\nENTRYPOINT java -jar x.jar\n");
            DeployTools.Result r = DeployTools.run(DeployTools.cmd(linter, "lint", bad.toString()),
                    java.time.Duration.ofMinutes(1), null);
            assertThat(r.exitCode()).isNotZero();
        } finally {
            Files.deleteIfExists(bad);
        }
    }

    @Test
    void baseImagesArePinned() {
        assertThat(stages).isNotEmpty();
        for (Stage s : stages) {
            String image = resolve(s.base());
            if (stages.stream().anyMatch(o -> o.name().equals(image))) {
                continue; // an earlier stage
            }
            assertThat(image).as("stage " + s.name() + " base image has a tag (DL3006)").matches("[^:@\\s]+[:@]\\S+");
            assertThat(image).as("not latest (DL3007)").doesNotEndWith(":latest");
        }
    }

    @Test
    void gpuIsTheDefaultTargetOnCudaWithATemurin25Jre() {
        assertThat(stages.getLast().name()).as("the default target (the last stage)").isEqualTo("gpu");
        Stage gpu = stage("gpu");
        String cuda = resolve(gpu.base());
        assertThat(cuda).startsWith("nvidia/cuda:12.").contains("cudnn").contains("runtime");
        String jre = resolve(stage("jre").base());
        assertThat(jre).startsWith("eclipse-temurin:25").contains("jre");
        assertThat(gpu.all("COPY")).anySatisfy(c -> assertThat(c.args()).startsWith("--from=jre /opt/java/openjdk"));
        assertThat(gpu.env()).contains("JAVA_HOME=/opt/java/openjdk").contains("BLIP2_ORT_CUDA=true");

        Stage buildGpu = stage("build-gpu");
        assertThat(buildGpu.all("RUN")).anySatisfy(r -> assertThat(r.args()).contains("./mvnw").contains("-Pgpu").contains("package"));
        assertThat(gpu.all("COPY")).anySatisfy(c -> assertThat(c.args()).startsWith("--from=build-gpu "));
    }

    @Test
    void cpuTargetUsesTheDefaultBuildOnAJre() {
        Stage cpu = stage("cpu");
        assertThat(resolve(cpu.base())).startsWith("eclipse-temurin:25").contains("jre");
        assertThat(cpu.all("COPY")).anySatisfy(c -> assertThat(c.args()).startsWith("--from=build-cpu "));
        assertThat(stage("build-cpu").all("RUN")).anySatisfy(r -> assertThat(r.args()).contains("./mvnw").contains("package")
                .doesNotContain("-Pgpu"));
        // --target cpu must not need the GPU stages: none of them comes before it.
        int cpuIndex = stages.indexOf(cpu);
        assertThat(stages.subList(0, cpuIndex)).extracting(Stage::name).doesNotContain("build-gpu", "jre", "gpu");
    }

    @Test
    void runtimeStagesRunAsNonRootWithJavaExecedDirectly() throws Exception {
        for (String name : List.of("cpu", "gpu")) {
            Stage s = stage(name);
            String user = s.last("USER").args();
            assertThat(user).as(name + " USER (DL3002)").doesNotStartWith("root").doesNotStartWith("0");
            assertThat(user.replace("${UID}", "10001")).startsWith("10001");

            String raw = s.last("ENTRYPOINT").args();
            assertThat(raw).as(name + " ENTRYPOINT in exec form (DL3025): java is PID 1 and gets SIGTERM").startsWith("[");
            JsonNode entrypoint = Dashboards.JSON.readTree(raw);
            assertThat(entrypoint.isArray()).isTrue();
            assertThat(entrypoint.get(0).asString()).isEqualTo("java");
            assertThat(entrypoint.toString()).contains("-Djava.io.tmpdir=/tmp").contains("-jar");
            assertThat(s.last("CMD").args()).as(name + " CMD in exec form").startsWith("[");
            assertThat(Dashboards.JSON.readTree(s.last("CMD").args()).isArray()).isTrue();

            String env = s.env();
            assertThat(env).contains("BLIP2_REPOSITORY=/models").contains("DJL_CACHE_DIR=/tmp/").contains("HOME=/tmp");
            assertThat(s.last("VOLUME").args()).contains("/models");
            assertThat(s.last("EXPOSE").args()).isEqualTo("8080");
            assertThat(s.last("HEALTHCHECK").args()).contains("/actuator/health/readiness");
        }
    }

    @Test
    void hadolintStyleRules() {
        Pattern secret = Pattern.compile("(?i)(password|passwd|secret|token|api[_-]?key|private[_-]?key|credential)");
        for (Instruction i : instructions) {
            String where = "Dockerfile:" + i.line() + " " + i.keyword();
            assertThat(i.keyword()).as(where + ": COPY rather than ADD (DL3020)").isNotEqualTo("ADD");
            assertThat(i.keyword()).as(where + ": MAINTAINER is deprecated (DL4000)").isNotEqualTo("MAINTAINER");
            if (i.keyword().equals("WORKDIR")) {
                assertThat(i.args()).as(where + " absolute (DL3000)").startsWith("/");
            }
            if (i.keyword().equals("ENV") || i.keyword().equals("ARG")) {
                for (String kv : i.args().split("\\s+")) {
                    String key = kv.split("=", 2)[0];
                    assertThat(key).as(where + ": no secrets in ENV/ARG").doesNotContainPattern(secret);
                }
            }
            if (i.keyword().equals("RUN")) {
                assertThat(i.args()).as(where + ": no sudo (DL3004)").doesNotContain("sudo ");
                assertThat(i.args()).as(where + ": cd is WORKDIR (DL3003)").doesNotContainPattern("(^|&&\\s*)cd ");
                assertThat(i.args()).as(where + ": nothing fetched outside the build (curl/wget | sh)")
                        .doesNotContainPattern("(curl|wget)[^|]*\\|\\s*(ba)?sh");
            }
        }
        assertThat(instructions).filteredOn(i -> i.keyword().equals("COPY"))
                .allSatisfy(c -> assertThat(c.args()).as("the model repository is a volume, never copied in")
                        .doesNotContain("model-repository").doesNotContain("/models"));
    }

    @Test
    void theBuildContextHoldsWhatTheDockerfileCopies() throws IOException {
        List<String> ignore = Files.readAllLines(ROOT.resolve(".dockerignore")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertThat(ignore.getFirst()).as("everything is excluded, then what the build needs is let in").isEqualTo("*");
        for (Instruction c : instructions.stream().filter(i -> i.keyword().equals("COPY") && !i.args().startsWith("--from")).toList()) {
            String[] parts = c.args().split("\\s+");
            for (int k = 0; k < parts.length - 1; k++) {
                String src = parts[k];
                assertThat(ROOT.resolve(src)).as("COPY source " + src).exists();
                String first = src.contains("/") ? src.substring(0, src.indexOf('/')) : src;
                assertThat(ignore).as(".dockerignore lets " + src + " in").anySatisfy(l -> assertThat(l).startsWith("!" + first));
            }
        }
    }
}
