package dev.blip2serve.convert;

/** Reports conversion progress: the current step and bytes done of the step's total. */
@FunctionalInterface
public interface ProgressListener {

    void progress(String step, long done, long total);

    ProgressListener NONE = (step, done, total) -> { };
}
