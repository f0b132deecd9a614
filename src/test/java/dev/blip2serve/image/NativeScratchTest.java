package dev.blip2serve.image;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NativeScratchTest {

    @Test
    void aLeaseIsExactlyTheSizeAskedForAndItsMemoryIsReusedAfterClose() {
        NativeScratch.drain();
        long address;
        try (NativeScratch.Lease a = NativeScratch.lease(3_000_000)) {
            assertThat(a.segment().byteSize()).isEqualTo(3_000_000);
            a.segment().set(JAVA_BYTE, 2_999_999, (byte) 7);
            address = a.segment().address();
        }
        try (NativeScratch.Lease b = NativeScratch.lease(1_000)) {
            assertThat(b.segment().byteSize()).isEqualTo(1_000);
            assertThat(b.segment().address()).isEqualTo(address);
        }
    }

    /** A decode leases its small input buffer first: it must not take the large one its output needs next. */
    @Test
    void aLeaseTakesTheSmallestPooledBufferThatFits() {
        NativeScratch.drain();
        NativeScratch.reserve(2_000_000, 30_000_000);
        assertThat(NativeScratch.pooled()).isEqualTo(2);
        try (NativeScratch.Lease input = NativeScratch.lease(1_500_000);
             NativeScratch.Lease output = NativeScratch.lease(29_000_000)) {
            assertThat(NativeScratch.pooled()).as("both came from the pool").isZero();
            assertThat(input.segment().address()).isNotEqualTo(output.segment().address());
        }
        assertThat(NativeScratch.pooled()).isEqualTo(2);
    }

    @Test
    void aFullPoolFreesItsSmallestBuffer() {
        NativeScratch.drain();
        List<NativeScratch.Lease> held = new ArrayList<>();
        for (int i = 0; i < NativeScratch.POOLED; i++) {
            held.add(NativeScratch.lease(1_000));
        }
        NativeScratch.Lease large = NativeScratch.lease(5_000_000);
        held.forEach(NativeScratch.Lease::close);
        large.close();
        assertThat(NativeScratch.pooled()).isEqualTo(NativeScratch.POOLED);
        try (NativeScratch.Lease again = NativeScratch.lease(5_000_000)) {
            assertThat(NativeScratch.pooled()).as("the large buffer stayed and was reused")
                    .isEqualTo(NativeScratch.POOLED - 1);
            assertThat(again.segment().address()).isEqualTo(large.segment().address());
        }
    }

    @Test
    void reservingMoreThanThePoolKeepsIsSkipped() {
        NativeScratch.drain();
        NativeScratch.reserve(NativeScratch.MAX_POOLED_BYTES + 1);
        assertThat(NativeScratch.pooled()).isZero();
    }

    @Test
    void leasesHeldAtOnceNeverShareMemory() {
        List<NativeScratch.Lease> held = new ArrayList<>();
        try {
            for (int i = 0; i < NativeScratch.POOLED + 2; i++) {
                held.add(NativeScratch.lease(100_000));
            }
            for (int i = 0; i < held.size(); i++) {
                for (int j = i + 1; j < held.size(); j++) {
                    MemorySegment x = held.get(i).segment();
                    MemorySegment y = held.get(j).segment();
                    assertThat(x.asOverlappingSlice(y)).as("leases %d and %d", i, j).isEmpty();
                }
            }
        } finally {
            held.forEach(NativeScratch.Lease::close);
        }
        assertThat(NativeScratch.pooled()).isLessThanOrEqualTo(NativeScratch.POOLED);
    }

    @Test
    void aBufferLargerThanThePoolKeepsIsFreedOnClose() {
        NativeScratch.Lease big = NativeScratch.lease(NativeScratch.MAX_POOLED_BYTES + 1);
        MemorySegment segment = big.segment();
        big.close();
        big.close(); // twice is harmless
        assertThat(segment.scope().isAlive()).isFalse();
    }

    @Test
    void aNegativeSizeIsRefused() {
        assertThatThrownBy(() -> NativeScratch.lease(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
