package dev.blip2serve.cli;

import dev.blip2serve.convert.ProgressListener;
import java.io.PrintWriter;
import java.util.function.Predicate;

/**
 * A progress bar on stderr: redrawn in place on a terminal, a line per 10 % step otherwise (logs, CI). A step counts
 * bytes ("1.2 MB / 3.4 MB") unless the bar is told that it counts items ("270 / 300": images, searched groups).
 */
final class ProgressBar implements ProgressListener {

    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final boolean terminal;
    private final Predicate<String> countsItems;
    private String step = "";
    private int lastDecile = -1;

    /** Every step counts bytes. */
    ProgressBar(PrintWriter err) {
        this(err, step -> false);
    }

    /** Steps for which {@code countsItems} holds count items, the others bytes. */
    ProgressBar(PrintWriter err, Predicate<String> countsItems) {
        this.err = err;
        this.countsItems = countsItems;
        this.terminal = System.console() != null && System.console().isTerminal();
    }

    /** Every step counts items. */
    static ProgressBar items(PrintWriter err) {
        return new ProgressBar(err, step -> true);
    }

    @Override
    public void progress(String name, long done, long total) {
        if (!name.equals(step)) {
            finishLine();
            step = name;
            lastDecile = -1;
        }
        double f = total <= 0 ? 1 : Math.min(1, (double) done / total);
        int decile = (int) (f * 10);
        boolean items = countsItems.test(name);
        String line = String.format("%-10s [%-" + WIDTH + "s] %3d%% %s / %s", name, "#".repeat((int) (f * WIDTH)),
                (int) (f * 100), items ? done : bytes(done), items ? total : bytes(total));
        if (terminal) {
            err.print("\r" + line);
            err.flush();
        } else if (decile != lastDecile) {
            err.println(line);
        }
        lastDecile = decile;
    }

    void finishLine() {
        if (terminal && !step.isEmpty()) {
            err.println();
        }
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1 << 20) {
            return String.format("%.1f KB", b / 1024.0);
        }
        if (b < 1 << 30) {
            return String.format("%.1f MB", b / 1048576.0);
        }
        return String.format("%.2f GB", b / 1073741824.0);
    }
}
