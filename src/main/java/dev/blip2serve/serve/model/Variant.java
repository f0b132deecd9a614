package dev.blip2serve.serve.model;

import dev.blip2serve.repository.Manifest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One variant of the repository as the service sees it: its state, the loaded model once ready, and the
 * semaphore that bounds how many requests it runs at once.
 */
public final class Variant {

    /**
     * What is known now, swapped as one value so readers never see a READY state without its model.
     *
     * @param detail   what a LOADING variant is doing (e.g. conversion progress), or null
     * @param reason   why a FAILED variant was refused, or null
     * @param manifest the manifest when it could be read, else null
     * @param model    the loaded model when READY, else null
     */
    public record Status(VariantState state, String detail, String reason, Manifest manifest, CaptionModel model) {
    }

    private final VariantKey key;
    private final Path dir;
    private final Semaphore slots;
    private final int maxInFlight;
    private volatile Status status = new Status(VariantState.LOADING, "queued for loading", null, null, null);

    public Variant(VariantKey key, Path dir, int maxInFlight) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("max in flight must be at least 1, got " + maxInFlight);
        }
        this.key = key;
        this.dir = dir;
        this.maxInFlight = maxInFlight;
        this.slots = new Semaphore(maxInFlight, true);
    }

    public VariantKey key() {
        return key;
    }

    public Path dir() {
        return dir;
    }

    public Status status() {
        return status;
    }

    public VariantState state() {
        return status.state();
    }

    public void loading(String detail) {
        status = new Status(VariantState.LOADING, detail, null, status.manifest(), null);
    }

    public void ready(CaptionModel model) {
        status = new Status(VariantState.READY, null, null, model.manifest(), model);
    }

    public void failed(String reason, Manifest manifest) {
        status = new Status(VariantState.FAILED, null, reason, manifest, null);
    }

    /** Waits up to {@code wait} for a slot; false when the variant is busy. Release with {@link #release()}. */
    public boolean tryAcquire(Duration wait) throws InterruptedException {
        return slots.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS);
    }

    public void release() {
        slots.release();
    }

    /**
     * Waits until no request runs on this variant (or {@code timeout} passes) and keeps every slot, so nothing
     * new starts: called before the model is closed under running requests.
     */
    public boolean drain(Duration timeout) throws InterruptedException {
        return slots.tryAcquire(maxInFlight, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Requests running now. */
    public int inFlight() {
        return maxInFlight - slots.availablePermits();
    }

    /** Requests waiting for a slot now (approximate, as the JDK reports it). */
    public int waiting() {
        return slots.getQueueLength();
    }
}
