package dev.blip2serve.image;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Reusable native memory for the native decoders' input and output buffers.
 *
 * <p>Why: a fresh multi-megabyte native buffer pays Arena's zero fill and a page fault for every 4 KiB page on
 * first touch. On the project's 2-core VM a 12 MP TurboJPEG decode into a fresh 36 MB buffer took 135–180 ms, into
 * a reused one 38 ms (docs/benchmarks/image-decode.md). A few buffers therefore stay mapped between requests: at
 * most {@link #POOLED} of them, each at most {@link #MAX_POOLED_BYTES} (larger leases are freed when closed). A lease
 * gets the smallest pooled buffer that fits, so a decode's small input buffer does not take the large one its output
 * needs; when the pool is full, the smallest buffer makes way. {@link #reserve} maps buffers ahead of the first large
 * photo.
 *
 * <p>A lease belongs to one thread until it is closed; the memory is not cleared between leases, so a caller must
 * write every byte it later reads (the decoders fill their whole output).
 */
final class NativeScratch {

    /** Buffers kept between leases: one per core is enough for the decoders that can run at once. */
    static final int POOLED = Math.max(2, Runtime.getRuntime().availableProcessors());

    /** Largest buffer kept (a 12 MP CMYK decode is 48 MB; bigger ones are rare and freed after use). */
    static final long MAX_POOLED_BYTES = 64L << 20;

    private static final long GRANULE = 1L << 20;
    private static final ConcurrentLinkedDeque<Buffer> POOL = new ConcurrentLinkedDeque<>();

    private NativeScratch() {
    }

    /** Native memory of at least {@code bytes} bytes until the lease is closed. */
    static Lease lease(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative size " + bytes);
        }
        Buffer b = takeSmallestFitting(bytes);
        if (b == null) {
            long capacity = Math.max(GRANULE, (bytes + GRANULE - 1) / GRANULE * GRANULE);
            Arena arena = Arena.ofShared();
            b = new Buffer(arena, arena.allocate(capacity, 64)); // zero-filled: every page is touched here
        }
        return new Lease(b, b.segment.asSlice(0, bytes));
    }

    /**
     * Maps (and touches) pooled buffers of these sizes now, all leased at once so that each size gets a buffer of
     * its own: the warm-up's way to spare the first large decode its page faults. Sizes over
     * {@link #MAX_POOLED_BYTES} are skipped; the pool keeps at most {@link #POOLED} buffers.
     */
    static void reserve(long... sizes) {
        List<Lease> held = new ArrayList<>();
        try {
            for (long size : sizes) {
                if (size <= MAX_POOLED_BYTES) {
                    held.add(lease(size));
                }
            }
        } finally {
            held.reversed().forEach(Lease::close);
        }
    }

    /** Buffers held by the pool now (for tests). */
    static int pooled() {
        return POOL.size();
    }

    /** Frees every pooled buffer (for tests that need a known pool). */
    static void drain() {
        for (Buffer b; (b = POOL.pollFirst()) != null; ) {
            b.arena.close();
        }
    }

    /** The smallest pooled buffer of at least {@code bytes}, removed from the pool; null when none fits. */
    private static Buffer takeSmallestFitting(long bytes) {
        while (true) {
            Buffer best = smallestPooled(bytes);
            if (best == null || POOL.remove(best)) {
                return best;
            }
            // another thread took it first: look again
        }
    }

    /** Gives {@code b} back, then frees the smallest buffers while the pool holds more than {@link #POOLED}. */
    private static void giveBack(Buffer b) {
        if (b.capacity() > MAX_POOLED_BYTES) {
            b.arena.close();
            return;
        }
        POOL.offerFirst(b);
        while (POOL.size() > POOLED) {
            Buffer smallest = smallestPooled(0);
            if (smallest != null && POOL.remove(smallest)) {
                smallest.arena.close();
            }
        }
    }

    /** The smallest buffer in the pool of at least {@code bytes} (left in the pool); null when there is none. */
    private static Buffer smallestPooled(long bytes) {
        Buffer best = null;
        for (Buffer b : POOL) {
            if (b.capacity() >= bytes && (best == null || b.capacity() < best.capacity())) {
                best = b;
            }
        }
        return best;
    }

    private record Buffer(Arena arena, MemorySegment segment) {
        long capacity() {
            return segment.byteSize();
        }
    }

    /** A leased buffer; {@link #close()} gives it back to the pool (or frees it). */
    static final class Lease implements AutoCloseable {
        private final Buffer buffer;
        private final MemorySegment segment;
        private boolean closed;

        private Lease(Buffer buffer, MemorySegment segment) {
            this.buffer = buffer;
            this.segment = segment;
        }

        /** Exactly the bytes asked for; valid until {@link #close()}. */
        MemorySegment segment() {
            return segment;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            giveBack(buffer);
        }
    }
}
