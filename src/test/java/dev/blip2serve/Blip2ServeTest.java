package dev.blip2serve;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which arguments start the service and which run a CLI command. */
class Blip2ServeTest {

    @Test
    void springOptionsAloneStartTheService() {
        assertThat(Blip2Serve.isServe(new String[0])).isTrue();
        assertThat(Blip2Serve.isServe(new String[] {"--server.port=8081"})).isTrue();
        assertThat(Blip2Serve.isServe(new String[] {"--blip2.repository=/models", "--server.port=8081"})).isTrue();
    }

    @Test
    void commandsAndHelpGoToTheCli() {
        assertThat(Blip2Serve.isServe(new String[] {"caption", "--model", "x"})).isFalse();
        assertThat(Blip2Serve.isServe(new String[] {"--help"})).isFalse();
        assertThat(Blip2Serve.isServe(new String[] {"--version"})).isFalse();
        assertThat(Blip2Serve.isServe(new String[] {"frobnicate"})).isFalse();
    }
}
