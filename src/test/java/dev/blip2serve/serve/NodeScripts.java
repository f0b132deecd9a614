package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.testing.Requirement;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Node scripts that drive the service from outside ({@code src/test/browser}, {@code src/test/openai-client}):
 * whether they can run on this machine, and running one to the line of JSON it ends with.
 */
final class NodeScripts {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private NodeScripts() {
    }

    /** Whether {@code command} is an executable in a folder of {@code PATH}. */
    static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns when nothing is missing; otherwise skips the test, or fails it where the environment variable
     * {@code requireVariable} is set (as CI sets it, so that a missing tool never passes there unnoticed).
     *
     * @param test    the test, for the message ("browser test")
     * @param missing what is missing, each with how to get it
     */
    static void requireOrSkip(String test, List<String> missing, String requireVariable) {
        if (missing.isEmpty()) {
            return;
        }
        Requirement.unmet(test + " needs " + String.join(", ", missing), requireVariable);
    }

    /**
     * Runs {@code node <args>}, asserts that it ends within {@code bound} (a waiting bound, not a latency check) with
     * exit 0, and answers its last line of output as JSON; the whole output is in the assertion messages.
     *
     * @param what the script, for the messages ("the SDK script")
     */
    static JsonNode run(String what, Duration bound, List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of("node"));
        command.addAll(args);
        Path out = Files.createTempFile("node-script-", ".out");
        Process node = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean ended = node.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
        if (!ended) {
            node.destroyForcibly();
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        Files.deleteIfExists(out);
        assertThat(ended).as(what + " ended:\n" + output).isTrue();
        assertThat(node.exitValue()).as(output).isZero();
        return JSON.readTree(output.strip().lines().reduce((a, b) -> b).orElse("{}"));
    }
}
