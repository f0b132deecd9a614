package dev.blip2serve.checkpoint;

import java.nio.file.Path;

/**
 * A checkpoint file that cannot be used: missing, truncated, hostile or not a BLIP-2 with OPT.
 * The message is one line that names the file and the problem, fit to print as a CLI error.
 */
public class CheckpointException extends RuntimeException {

    private final Path file;

    public CheckpointException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public CheckpointException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file the problem was found in. */
    public Path file() {
        return file;
    }
}
