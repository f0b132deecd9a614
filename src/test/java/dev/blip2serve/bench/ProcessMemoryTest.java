package dev.blip2serve.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcessMemoryTest {

    @Test
    void procFieldsAreKibibytes() {
        assertThat(ProcessMemory.bytes("    123456 kB")).isEqualTo(123456L * 1024);
        assertThat(ProcessMemory.bytes("42")).isEqualTo(42);
    }

    @Test
    void thisProcessHasAResidentSetOnLinux() {
        long rss = ProcessMemory.residentBytes();
        if (System.getProperty("os.name").startsWith("Linux")) {
            assertThat(rss).isGreaterThan(1L << 20);
        } else {
            assertThat(rss).isEqualTo(-1);
        }
    }
}
