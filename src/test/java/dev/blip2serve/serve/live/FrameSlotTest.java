package dev.blip2serve.serve.live;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The newest frame wins: a frame put while another waits replaces it, and the worker takes only the newest. */
class FrameSlotTest {

    private static FrameSlot.Frame frame(long seq) {
        return new FrameSlot.Frame(seq, new byte[] {(byte) seq}, seq);
    }

    @Test
    void aNewFrameReplacesTheWaitingOne() throws InterruptedException {
        FrameSlot slot = new FrameSlot();
        assertThat(slot.put(frame(1))).isNull();
        assertThat(slot.put(frame(2)).seq()).isEqualTo(1);
        assertThat(slot.put(frame(3)).seq()).isEqualTo(2);
        FrameSlot.Work w = slot.take();
        assertThat(w.frame().seq()).isEqualTo(3);
        assertThat(w.status()).isFalse();
        assertThat(slot.put(frame(4))).as("the slot is empty once taken").isNull();
    }

    @Test
    void aStatusRequestIsTakenWithTheNewestFrame() throws InterruptedException {
        FrameSlot slot = new FrameSlot();
        slot.put(frame(1));
        slot.requestStatus();
        slot.put(frame(2));
        FrameSlot.Work w = slot.take();
        assertThat(w.frame().seq()).isEqualTo(2);
        assertThat(w.status()).isTrue();
        slot.requestStatus();
        FrameSlot.Work alone = slot.take();
        assertThat(alone.frame()).isNull();
        assertThat(alone.status()).isTrue();
    }

    @Test
    void closingWakesTheWorkerAndLetsTheWaitingFrameGo() throws Exception {
        FrameSlot slot = new FrameSlot();
        FrameSlot.Work[] taken = new FrameSlot.Work[1];
        Thread worker = Thread.ofVirtual().start(() -> {
            try {
                taken[0] = slot.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        slot.close();
        worker.join(60_000);
        assertThat(worker.isAlive()).isFalse();
        assertThat(taken[0]).isNull();
        slot.put(frame(1));
        assertThat(slot.take()).as("closed for good").isNull();
    }
}
