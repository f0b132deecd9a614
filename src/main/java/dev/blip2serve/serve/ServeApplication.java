package dev.blip2serve.serve;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The captioning service: loads every variant of the model repository ({@code blip2.repository}) and serves
 * {@code /v1/captions} and {@code /v1/models}; see {@code package-info} for the API. Component scanning stops
 * at this package so the CLI's and the engine's classes never become beans by accident.
 */
@SpringBootApplication(proxyBeanMethods = false)
@ConfigurationPropertiesScan
public class ServeApplication {

    /**
     * Starts the service; called by the jar's main class for {@code serve} or no argument. SIGTERM and SIGINT shut it
     * down gracefully ({@link ShutdownSignals}).
     */
    public static void run(String[] args) {
        ShutdownSignals.install(SpringApplication.run(ServeApplication.class, args));
    }
}
