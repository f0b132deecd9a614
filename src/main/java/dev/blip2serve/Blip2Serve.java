package dev.blip2serve;

import dev.blip2serve.cli.Cli;
import dev.blip2serve.serve.ServeApplication;
import java.util.Arrays;

/**
 * The jar's entry point. The first argument picks a command: {@code serve} (the default, starts the web
 * service) or one of the CLI commands, which run without Spring.
 */
public final class Blip2Serve {

    private Blip2Serve() {
    }

    public static void main(String[] args) {
        if (args.length == 0 || args[0].equals("serve")) {
            ServeApplication.run(args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        System.exit(Cli.run(args));
    }
}
