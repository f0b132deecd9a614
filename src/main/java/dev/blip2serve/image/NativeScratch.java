package dev.blip2serve.image;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Reusable native memory for the native decoders' input and output buffers.
 *
 * <p>Why: a fresh multi-megabyte native buffer pays Arena's zero fill and a page fault for every 4 KiB page on
 * first touch. On the project's 2-core VM a 12 MP TurboJPEG decode into a fresh 36 MB buffer took 135–180 ms, into
 * a reused one 38 ms (docs/benchmarks/image-decode.md). A few buffers therefore stay mapped between requests: at
 * most {@link #POOLED} of them, each at most {@link #MAX_POOLED_BYTES} (larger leases are freed when closed).
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
        Buffer b = POOL.pollFirst();
        if (b != null && b.segment.byteSize() < bytes) {
            b.arena.close(); // grow: the pool converges on the largest size in use
            b = null;
        }
        if (b == null) {
            long capacity = Math.max(GRANULE, (bytes + GRANULE - 1) / GRANULE * GRANULE);
            Arena arena = Arena.ofShared();
            b = new Buffer(arena, arena.allocate(capacity, 64));
        }
        return new Lease(b, b.segment.asSlice(0, bytes));
    }

    /** Buffers held by the pool now (for tests). */
    static int pooled() {
        return POOL.size();
    }

    private record Buffer(Arena arena, MemorySegment segment) {
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
            if (buffer.segment.byteSize() <= MAX_POOLED_BYTES && POOL.size() < POOLED) {
                POOL.offerFirst(buffer);
            } else {
                buffer.arena.close();
            }
        }
    }
}
