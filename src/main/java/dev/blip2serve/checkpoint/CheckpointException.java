package dev.blip2serve.checkpoint;

import java.nio.file.Path;

/**
 * A checkpoint file that cannot be used: missing, truncated, hostile or not a BLIP-2 with OPT.
 * The message is one line that names the file and the problem, fit to print as a CLI error.
 */
public class CheckpointException extends RuntimeException {

    private final Path file;

    /** Longest problem text kept; a hostile header can make echoed names or values megabytes long. */
    static final int MAX_PROBLEM_CHARS = 1000;

    public CheckpointException(Path file, String problem) {
        super(oneLine(file, problem));
        this.file = file;
    }

    public CheckpointException(Path file, String problem, Throwable cause) {
        super(oneLine(file, problem), cause);
        this.file = file;
    }

    /**
     * {@code file: problem} on one line: control characters (a tensor name or dtype from a hostile header,
     * a file name with a newline) are escaped, and an overlong problem is cut.
     */
    private static String oneLine(Path file, String problem) {
        String p = String.valueOf(problem);
        if (p.length() > MAX_PROBLEM_CHARS) {
            p = p.substring(0, MAX_PROBLEM_CHARS) + "... (" + (p.length() - MAX_PROBLEM_CHARS) + " more characters)";
        }
        return escape(String.valueOf(file)) + ": " + escape(p);
    }

    private static String escape(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
            if (control && b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (b != null) {
                if (!control) {
                    b.append(c);
                } else if (c == '\n') {
                    b.append("\\n");
                } else if (c == '\r') {
                    b.append("\\r");
                } else if (c == '\t') {
                    b.append("\\t");
                } else {
                    b.append(String.format("\\u%04x", (int) c));
                }
            }
        }
        return b == null ? s : b.toString();
    }

    /** The file the problem was found in. */
    public Path file() {
        return file;
    }
}
