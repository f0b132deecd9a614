package dev.blip2serve.serve;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.util.unit.DataSize;

/** {@link ServeProperties} with the documented defaults, for tests without Spring. */
public final class TestProperties {

    private TestProperties() {
    }

    public static ServeProperties defaults(Path repository, String model, String precision, List<String> bootstrap) {
        return new ServeProperties(repository, model, precision, bootstrap, true, true, true, 20,
                new ServeProperties.Limits(DataSize.ofMegabytes(20), 50_000_000L, 2000, 64, 8),
                new ServeProperties.Concurrency(4, Duration.ofSeconds(2), 1), new ServeProperties.Ort(0));
    }
}
