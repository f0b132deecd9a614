package dev.blip2serve.hub;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A response body whose every read must return within a timeout, as huggingface_hub's {@code HF_HUB_DOWNLOAD_TIMEOUT}
 * is the read timeout of each socket read. The JDK client's request timeout ends with the headers and it has no read
 * timeout, so a server that sends half a file and then nothing, with the connection open, would block a read for ever.
 * A watchdog closes the underlying stream when a read has waited longer than the timeout; closing the JDK's body
 * stream cancels the exchange (the connection is dropped, not reused) and wakes the blocked reader, which then throws
 * an {@link HttpTimeoutException}: the caller treats it as a dropped connection.
 *
 * <p>The watchdog is armed by a read and disarms itself when it finds no read in progress, so a stream that is neither
 * read nor closed holds no task; {@link #close()} cancels a pending check. One daemon thread serves every stream and
 * ends when no check has been pending for a while.
 */
final class ReadTimeoutStream extends FilterInputStream {

    private static final ScheduledThreadPoolExecutor WATCHDOG = watchdog();

    private final long timeoutNanos;
    private final String timeoutText;
    private volatile boolean reading;
    private volatile long readStarted;
    private volatile boolean stalled;
    private ScheduledFuture<?> check; // guarded by this
    private boolean closed; // guarded by this

    ReadTimeoutStream(InputStream in, Duration timeout) {
        super(in);
        this.timeoutNanos = Math.max(1, timeout.toNanos());
        this.timeoutText = timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms";
    }

    @Override
    public int read() throws IOException {
        begin();
        try {
            return endOfStream(in.read());
        } catch (IOException e) {
            throw translated(e);
        } finally {
            reading = false;
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        begin();
        try {
            return endOfStream(in.read(b, off, len));
        } catch (IOException e) {
            throw translated(e);
        } finally {
            reading = false;
        }
    }

    @Override
    public long skip(long n) throws IOException {
        begin();
        try {
            return in.skip(n);
        } catch (IOException e) {
            throw translated(e);
        } finally {
            reading = false;
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (this) {
            closed = true;
            if (check != null) {
                check.cancel(false);
                check = null;
            }
        }
        in.close();
    }

    /** Checks pending on the shared watchdog, for the tests' leak check. */
    static int pendingChecks() {
        return WATCHDOG.getQueue().size();
    }

    private void begin() throws IOException {
        if (stalled) {
            throw stalledException(null);
        }
        readStarted = System.nanoTime();
        reading = true;
        synchronized (this) {
            if (check == null && !closed) {
                check = WATCHDOG.schedule(this::check, timeoutNanos, TimeUnit.NANOSECONDS);
            }
        }
    }

    /** On the watchdog: aborts a read older than the timeout, re-arms for a younger one, disarms when idle. */
    private void check() {
        synchronized (this) {
            check = null;
            if (closed || !reading) {
                return; // the next read arms it again
            }
            long waited = System.nanoTime() - readStarted;
            if (waited < timeoutNanos) {
                check = WATCHDOG.schedule(this::check, timeoutNanos - waited, TimeUnit.NANOSECONDS);
                return;
            }
            stalled = true;
        }
        try {
            in.close(); // wakes the reader: the JDK's body stream ends a blocked read when closed
        } catch (IOException ignored) {
            // the reader learns of the stall from the flag, whatever the close said
        }
    }

    /** An end of stream that the watchdog's close caused is the stall, not the end of the body. */
    private int endOfStream(int n) throws HttpTimeoutException {
        if (n < 0 && stalled) {
            throw stalledException(null);
        }
        return n;
    }

    private IOException translated(IOException e) {
        return stalled ? stalledException(e) : e;
    }

    private HttpTimeoutException stalledException(IOException cause) {
        HttpTimeoutException e = new HttpTimeoutException("no data within HF_HUB_DOWNLOAD_TIMEOUT = " + timeoutText);
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    private static ScheduledThreadPoolExecutor watchdog() {
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "hub-read-timeout");
            t.setDaemon(true);
            return t;
        });
        pool.setRemoveOnCancelPolicy(true); // a closed stream's check leaves the queue at once
        pool.setKeepAliveTime(30, TimeUnit.SECONDS);
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
