package dev.blip2serve.cli;

import dev.blip2serve.convert.ProgressListener;
import java.io.PrintWriter;

/**
 * A progress bar on stderr: redrawn in place on a terminal, a line per 10 % step otherwise (logs, CI).
 */
final class ProgressBar implements ProgressListener {

    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final boolean terminal;
    private String step = "";
    private int lastDecile = -1;

    ProgressBar(PrintWriter err) {
        this.err = err;
        this.terminal = System.console() != null && System.console().isTerminal();
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
        String line = String.format("%-10s [%-" + WIDTH + "s] %3d%% %s / %s", name, "#".repeat((int) (f * WIDTH)),
                (int) (f * 100), bytes(done), bytes(total));
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
