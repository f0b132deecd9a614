package dev.blip2serve.serve.live;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one place a live session keeps a frame that waits: a new frame replaces the waiting one (which is dropped),
 * so however fast a client sends, a session holds at most one waiting frame and the worker always takes the newest.
 * A status request waits here too, to be answered once the frame taken with it has been handled.
 */
final class FrameSlot {

    /** A received frame: its sequence number in the session (from 1), its bytes, when it arrived. */
    record Frame(long seq, byte[] bytes, long receivedNanos) {
    }

    /** What the worker takes: the newest frame (or null) and whether a status was asked for. */
    record Work(Frame frame, boolean status) {
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private Frame waiting;
    private boolean status;
    private boolean closed;

    /** Puts the frame in the slot; returns the frame it replaced (dropped), or null. */
    Frame put(Frame frame) {
        lock.lock();
        try {
            Frame replaced = waiting;
            waiting = frame;
            changed.signal();
            return replaced;
        } finally {
            lock.unlock();
        }
    }

    void requestStatus() {
        lock.lock();
        try {
            status = true;
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Waits for a frame or a status request; null once closed. */
    Work take() throws InterruptedException {
        lock.lock();
        try {
            while (waiting == null && !status && !closed) {
                changed.await();
            }
            if (closed) {
                return null;
            }
            Work work = new Work(waiting, status);
            waiting = null;
            status = false;
            return work;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the worker for good; a waiting frame is let go. */
    void close() {
        lock.lock();
        try {
            closed = true;
            waiting = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
