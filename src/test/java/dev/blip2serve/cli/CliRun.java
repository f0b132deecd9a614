package dev.blip2serve.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One CLI invocation as a user sees it: the exit code and what went to stdout and stderr. */
record CliRun(int exit, String out, String err) {

    /** Runs the jar's CLI in this JVM with {@code args}. */
    static CliRun cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
