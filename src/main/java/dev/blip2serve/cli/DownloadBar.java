package dev.blip2serve.cli;

import dev.blip2serve.hub.HubListener;
import java.io.PrintWriter;
import java.time.Duration;

/**
 * Download progress on stderr, a bar per file with bytes, rate and time left: redrawn in place on a terminal, a line
 * per 10 % otherwise (logs, CI). Retries are announced on a line of their own.
 */
final class DownloadBar implements HubListener {

    private static final int WIDTH = 24;

    private final PrintWriter err;
    private final boolean terminal;
    private String file = "";
    private long startNanos;
    private long startBytes;
    private int lastDecile = -1;
    private boolean open;

    DownloadBar(PrintWriter err) {
        this.err = err;
        this.terminal = System.console() != null && System.console().isTerminal();
    }

    @Override
    public synchronized void progress(String name, long done, long total) {
        if (!name.equals(file)) {
            finishLine();
            file = name;
            startNanos = System.nanoTime();
            startBytes = done;
            lastDecile = -1;
        }
        double f = total <= 0 ? 1 : Math.min(1, (double) done / total);
        int decile = (int) (f * 10);
        if (!terminal && decile == lastDecile) {
            return;
        }
        lastDecile = decile;
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        double rate = seconds > 0 ? (done - startBytes) / seconds : 0;
        String eta = rate > 0 && total > done ? clock((long) ((total - done) / rate)) : "--:--";
        String line = String.format("%-34s [%-" + WIDTH + "s] %3d%% %9s / %-9s %9s/s ETA %s", shorten(name),
                "#".repeat((int) (f * WIDTH)), (int) (f * 100), ProgressBar.bytes(done),
                total < 0 ? "?" : ProgressBar.bytes(total), ProgressBar.bytes((long) rate), eta);
        if (terminal) {
            err.print("\r" + line);
            err.flush();
            open = true;
        } else {
            err.println(line);
        }
    }

    @Override
    public synchronized void retrying(String what, int attempt, Duration wait, String reason) {
        finishLine();
        err.printf("%s: %s; retry %d in %.1f s%n", what, reason, attempt, wait.toMillis() / 1000.0);
    }

    synchronized void finishLine() {
        if (open) {
            err.println();
            open = false;
        }
    }

    static String clock(long seconds) {
        return seconds >= 3600 ? String.format("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
                : String.format("%02d:%02d", seconds / 60, seconds % 60);
    }

    private static String shorten(String name) {
        return name.length() <= 34 ? name : "…" + name.substring(name.length() - 33);
    }
}
