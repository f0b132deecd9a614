package dev.blip2serve.serve.model;

import dev.blip2serve.repository.Manifest;
import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.batch.BatchScheduler;
import io.micrometer.core.instrument.DistributionSummary;
import java.nio.file.Path;

/**
 * One variant of the repository as the service sees it: its state, the loaded model once ready, and its bounded
 * queue with the micro-batcher ({@link BatchScheduler}).
 */
public final class Variant {

    /**
     * What is known now, swapped as one value so readers never see a READY state without its model.
     *
     * @param detail   what a BUILDING or LOADING variant is doing (e.g. conversion progress), or null
     * @param reason   why a FAILED variant was refused, or null
     * @param manifest the manifest when it could be read, else null
     * @param model    the loaded model when READY, else null
     */
    public record Status(VariantState state, String detail, String reason, Manifest manifest, CaptionModel model) {
    }

    private final VariantKey key;
    private final Path dir;
    private final BatchScheduler scheduler;
    private volatile Status status = new Status(VariantState.LOADING, "queued for loading", null, null, null);
    /** {@link #NOT_MEASURED} until loading measured it; the delta itself may be negative (a GC during loading). */
    private volatile long loadResidentDeltaBytes = NOT_MEASURED;

    /** {@link #NOT_MEASURED} until loading measured it (only with GPU metrics on, see {@link GpuMemoryMetrics}). */
    private volatile long loadGpuDeltaBytes = NOT_MEASURED;

    /** Marks a resident-memory (or GPU memory) delta that was not measured. */
    public static final long NOT_MEASURED = Long.MIN_VALUE;

    public Variant(VariantKey key, Path dir, ServeProperties.Batching batching, DistributionSummary batchSizes) {
        this.key = key;
        this.dir = dir;
        this.scheduler = new BatchScheduler(key, batching, () -> status.model(), batchSizes);
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

    public BatchScheduler scheduler() {
        return scheduler;
    }

    public synchronized void loading(String detail) {
        status = new Status(VariantState.LOADING, detail, null, status.manifest(), null);
    }

    /** Being made in the background (quantized, evaluated); not in the repository until complete. */
    public synchronized void building(String detail) {
        status = new Status(VariantState.BUILDING, detail, null, null, null);
    }

    /**
     * The variant's manifest was rewritten on disk (e.g. its measured quality added): readers see the new one, the
     * state and the loaded model stay.
     */
    public synchronized void manifestUpdated(Manifest manifest) {
        Status s = status;
        status = new Status(s.state(), s.detail(), s.reason(), manifest, s.model());
    }

    public synchronized void ready(CaptionModel model) {
        status = new Status(VariantState.READY, null, null, model.manifest(), model);
    }

    public synchronized void failed(String reason, Manifest manifest) {
        status = new Status(VariantState.FAILED, null, reason, manifest, null);
    }

    /**
     * How much the process's resident memory grew while this variant was opened and warmed up (negative when
     * it shrank), or {@link #NOT_MEASURED}. An approximation of the variant's native memory: whatever else the process allocated meanwhile
     * (requests on other variants, JVM heap growth) is in it too.
     */
    public long loadResidentDeltaBytes() {
        return loadResidentDeltaBytes;
    }

    public void loadResidentDeltaBytes(long bytes) {
        this.loadResidentDeltaBytes = bytes;
    }

    /**
     * How much GPU memory the process gained while this variant was opened and warmed up ({@link GpuMemoryMetrics#loadDelta}),
     * or {@link #NOT_MEASURED}: CUDA's context, ONNX Runtime's arena growth and the weights, plus whatever other
     * variants allocated on the GPU meanwhile.
     */
    public long loadGpuDeltaBytes() {
        return loadGpuDeltaBytes;
    }

    public void loadGpuDeltaBytes(long bytes) {
        this.loadGpuDeltaBytes = bytes;
    }

    /** Requests in a running batch now. */
    public int inFlight() {
        return scheduler.running();
    }

    /** Requests waiting for a batch now. */
    public int waiting() {
        return scheduler.queued();
    }
}
