package dev.blip2serve.serve.model;

import dev.blip2serve.serve.ServeProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * {@code defaultVariant} health: UP once the default variant is loaded and warmed up, OUT_OF_SERVICE while it
 * loads, DOWN when it failed or does not exist. It is part of the {@code readiness} group, so a load balancer
 * sends no traffic before the first request can be answered.
 */
@Component
public class DefaultVariantHealthIndicator implements HealthIndicator {

    private final ServeProperties properties;
    private final ModelRegistry registry;

    private final ObjectProvider<HttpWarmUp> warmUp;

    public DefaultVariantHealthIndicator(ServeProperties properties, ModelRegistry registry,
                                         ObjectProvider<HttpWarmUp> warmUp) {
        this.properties = properties;
        this.registry = registry;
        this.warmUp = warmUp;
    }

    @Override
    public Health health() {
        Health.Builder b = registry.defaultVariant().map(v -> switch (v.state()) {
            case READY -> warmUp.getIfAvailable() == null || warmUp.getIfAvailable().done() ? Health.up()
                    : Health.outOfService().withDetail("detail", "warming up the request path");
            case BUILDING, LOADING -> Health.outOfService().withDetail("detail", String.valueOf(v.status().detail()));
            case FAILED -> Health.down().withDetail("reason", String.valueOf(v.status().reason()));
        }).orElseGet(() -> Health.outOfService().withDetail("detail", "not in the repository (yet)"));
        return b.withDetail("model", properties.defaultModel()).withDetail("precision", properties.defaultPrecision()).build();
    }
}
