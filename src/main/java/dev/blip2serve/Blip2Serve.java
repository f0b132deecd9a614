package dev.blip2serve;

import dev.blip2serve.cli.Cli;
import dev.blip2serve.serve.ServeApplication;
import java.util.Arrays;

/**
 * The jar's entry point. The first argument picks a command: {@code serve} (the default, starts the web
 * service; Spring options such as {@code --server.port=8081} may follow it or stand alone) or one of the CLI
 * commands, which run without Spring.
 */
public final class Blip2Serve {

    private Blip2Serve() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("serve")) {
            ServeApplication.run(Arrays.copyOfRange(args, 1, args.length));
        } else if (isServe(args)) {
            ServeApplication.run(args);
        } else {
            System.exit(Cli.run(args));
        }
    }

    /** No command, or only Spring-style {@code --name=value} options: the service. */
    static boolean isServe(String[] args) {
        return args.length == 0 || (args[0].startsWith("--") && args[0].contains("=") && !args[0].startsWith("--help")
                && !args[0].startsWith("--version"));
    }
}
