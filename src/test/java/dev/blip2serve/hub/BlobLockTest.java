package dev.blip2serve.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BlobLock} against util-linux's {@code flock} command, which takes {@code flock(2)} as Python's filelock does:
 * each side must see the other's lock (a JDK {@code FileChannel} lock, {@code fcntl}, would be invisible to it).
 */
class BlobLockTest {

    static final String ETAG = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    @TempDir
    Path cacheDir;

    @Test
    void anExternalFlockSeesTheLockWhileHubCacheHoldsItAndNotAfter() throws Exception {
        assertThat(BlobLock.usesFlock()).as("flock(2) through FFM on Linux").isTrue();
        HubCache cache = new HubCache(cacheDir, new RepoId("test-org/shapes-blip2"));
        Path lockFile = cache.lockFile(ETAG);
        assertThat(lockFile.toString()).endsWith(".locks/models--test-org--shapes-blip2/" + ETAG + ".lock");

        int whileHeld = cache.locked(ETAG, () -> flockNonBlocking(lockFile));
        assertThat(whileHeld).as("flock -n while the blob is locked").isNotZero();
        assertThat(flockNonBlocking(lockFile)).as("flock -n after the release").isZero();
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void acquireWaitsUntilAnExternalFlockReleases() throws Exception {
        Path lockFile = cacheDir.resolve("blob.lock");
        // holds the lock until its stdin gets a line; says so once it has it
        Process holder = new ProcessBuilder("flock", lockFile.toString(), "sh", "-c", "echo held; read line")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("held");

            List<String> events = Collections.synchronizedList(new ArrayList<>());
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try (BlobLock lock = BlobLock.acquire(lockFile)) {
                    events.add("acquired");
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            // give an acquire that does not wait the chance to record itself first (not a timed assertion: a
            // correct lock records "acquired" only after the release however long this takes)
            waiter.join(500);
            events.add("external released");
            try (OutputStream in = holder.getOutputStream()) {
                in.write('\n');
            }
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(holder.exitValue()).isZero();
            waiter.join();
            assertThat(failure.get()).isNull();
            assertThat(events).containsExactly("external released", "acquired");
        } finally {
            holder.destroy();
        }
        assertThat(flockNonBlocking(lockFile)).as("released on close").isZero();
    }

    /** Exit status of {@code flock -n FILE true}: 0 when the lock was free, 1 when someone holds it. */
    static int flockNonBlocking(Path lockFile) throws IOException {
        Process p = new ProcessBuilder("flock", "-n", lockFile.toString(), "true").redirectErrorStream(true).start();
        p.getInputStream().transferTo(OutputStream.nullOutputStream());
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for flock -n", e);
        }
    }
}
