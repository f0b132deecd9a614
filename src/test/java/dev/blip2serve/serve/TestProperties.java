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
                batching(), new ServeProperties.Ort(0, false, 0, org.springframework.util.unit.DataSize.ofBytes(0)),
                new ServeProperties.AutoQuantize(List.of(), 0, 0, 0, 10), List.of(),
                new ServeProperties.Hub(null, null, false));
    }

    /** The documented {@code blip2.batching.*} defaults. */
    public static ServeProperties.Batching batching() {
        return new ServeProperties.Batching(8, Duration.ofMillis(10), 32, 1, Duration.ofSeconds(30), 1,
                Duration.ofSeconds(30));
    }
}
