package dev.blip2serve.cli;

import dev.blip2serve.checkpoint.CheckpointException;
import dev.blip2serve.image.ImageException;
import dev.blip2serve.repository.RepositoryException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The command-line tools; every failure is one line on stderr and a non-zero exit code. */
@Command(name = "blip2-serve", mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class,
        description = "BLIP-2 captioning on ONNX Runtime: convert checkpoints, caption images, evaluate variants.",
        subcommands = {PullCommand.class, ConvertCommand.class, QuantizeCommand.class, ReproduceCommand.class, CaptionCommand.class, EvalCommand.class, SynthCommand.class, BenchCommand.class, ImageBenchCommand.class, CommandLine.HelpCommand.class})
public final class Cli {

    /** Exit code for bad input: a corrupt checkpoint, a bad variant folder, a bad argument. */
    public static final int BAD_INPUT = 2;

    private Cli() {
    }

    /** Runs a command line; returns the exit code. */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    public static int run(PrintWriter out, PrintWriter err, String... args) {
        quietLibraryLogs();
        CommandLine cl = new CommandLine(new Cli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println("error: " + oneLine(ex));
            return exitCode(ex);
        });
        return cl.execute(args);
    }

    /** CLI output is for people and scripts: libraries log warnings and errors only (DJL's GPU probe: nothing). */
    private static void quietLibraryLogs() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
            ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(ch.qos.logback.classic.Level.WARN);
            ctx.getLogger("ai.djl").setLevel(ch.qos.logback.classic.Level.OFF);
        }
    }

    static int exitCode(Throwable ex) {
        if (ex instanceof dev.blip2serve.hub.HubException h) {
            return h.badInput() ? BAD_INPUT : 1;
        }
        return ex instanceof CheckpointException || ex instanceof RepositoryException || ex instanceof ImageException
                || ex instanceof IllegalArgumentException || ex instanceof java.nio.file.NoSuchFileException
                ? BAD_INPUT : 1;
    }

    /** The message of an exception as one line (never a stack trace). */
    static String oneLine(Throwable ex) {
        String m = ex.getMessage();
        if (m == null || m.isBlank()) {
            m = ex.getClass().getSimpleName();
        }
        if (ex instanceof java.nio.file.NoSuchFileException) {
            m = m + ": no such file";
        }
        return m.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** Version from the jar manifest. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"blip2-serve " + dev.blip2serve.onnx.Version.current()};
        }
    }
}
