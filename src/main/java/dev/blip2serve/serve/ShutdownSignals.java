package dev.blip2serve.serve;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;
import sun.misc.Signal;

/**
 * Graceful shutdown on SIGTERM / SIGINT that is safe with ONNX Runtime. ONNX Runtime's Java API releases its native
 * environment in a JVM shutdown hook, and the JVM runs all shutdown hooks at once: with the default signal handling,
 * that hook races Spring's (which lets admitted requests finish) and a batch still running crashes the process.
 * Here the signal closes the application context first (the web server stops taking connections, running requests
 * finish, every variant drains its queue and closes its sessions), and only then does the JVM exit and run the
 * hooks.
 *
 * <p>Exit status: SIGTERM is how Docker, Kubernetes and systemd ask a service to stop, so a stop that drained
 * completely exits 0 (a container stopped that way reads "Exited (0)", not as a failure); SIGINT exits 130 as an
 * interrupted program does; a context that failed to close exits 1.
 */
final class ShutdownSignals {

    private static final Logger LOG = LoggerFactory.getLogger(ShutdownSignals.class);

    private ShutdownSignals() {
    }

    static void install(ConfigurableApplicationContext context) {
        AtomicBoolean stopping = new AtomicBoolean();
        for (String name : List.of("TERM", "INT")) {
            try {
                Signal.handle(new Signal(name), signal -> {
                    if (!stopping.compareAndSet(false, true)) {
                        return;
                    }
                    // Not a daemon: the JVM must not end on its own once the context is closed, before the exit below.
                    Thread.ofPlatform().name("blip2-shutdown").daemon(false).start(() -> {
                        LOG.info("SIG{}: finishing admitted requests, then stopping", name);
                        int status = 1;
                        try {
                            context.close();
                            status = name.equals("TERM") ? 0 : 128 + signal.getNumber();
                        } finally {
                            System.exit(status);
                        }
                    });
                });
            } catch (IllegalArgumentException e) {
                // the JVM reserves this signal here (e.g. -Xrs): its default handling stays
                LOG.warn("cannot handle SIG{}: {}", name, e.getMessage());
            }
        }
    }
}
