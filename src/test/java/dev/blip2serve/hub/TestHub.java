package dev.blip2serve.hub;

import java.io.IOException;
import java.nio.file.Path;

/** Opens {@link FakeHub} to tests in other packages (the CLI's and the service's). */
public final class TestHub implements AutoCloseable {

    private final FakeHub hub;

    public TestHub() throws IOException {
        hub = new FakeHub();
    }

    public String endpoint() {
        return hub.endpoint().toString();
    }

    public String publish(String id, Path dir, String token) throws IOException {
        return hub.publish(id, dir, token);
    }

    public java.util.List<String> log() {
        return hub.log;
    }

    @Override
    public void close() {
        hub.close();
    }
}
