package dev.blip2serve.hub;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * An exclusive lock on a {@code .locks/.../<etag>.lock} file that Python's {@code filelock} (what huggingface_hub
 * uses) honours. filelock takes {@code flock(2)} on Unix, and on Linux {@code flock} and {@code fcntl} locks (the JDK's
 * {@link FileChannel#lock()}) do not exclude each other, so the lock is taken with {@code flock} itself, through the
 * FFM API:
 * <pre>
 * int open(const char *path, int flags, ... mode_t mode)    // -1 and errno on failure
 * int flock(int fd, int operation)                          // LOCK_EX 2, LOCK_UN 8; -1 and errno (EINTR 4: retry)
 * int close(int fd)
 * </pre>
 * The {@code O_*} values used are Linux's (the same on x86-64 and aarch64), so elsewhere, or where libc has no
 * {@code flock}, it falls back to {@link FileChannel#lock()}: correct between JVMs, not against filelock on Linux.
 *
 * <p>{@link #acquire} blocks until the lock is free; a thread waiting in {@code flock} cannot be interrupted, so
 * {@link HubCache} queues the threads of this process on a mutex first and only one of them waits here.
 */
final class BlobLock implements AutoCloseable {

    private static final Native NATIVE = Native.load();

    private final int fd;
    private final FileChannel channel;
    private final FileLock channelLock;
    private boolean released;

    private BlobLock(int fd, FileChannel channel, FileLock channelLock) {
        this.fd = fd;
        this.channel = channel;
        this.channelLock = channelLock;
    }

    /** Waits for and takes the lock on {@code file}, creating the file if need be. */
    static BlobLock acquire(Path file) throws IOException {
        if (NATIVE != null) {
            return new BlobLock(NATIVE.lock(file), null, null);
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            return new BlobLock(-1, ch, ch.lock());
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Whether locks are {@code flock(2)} locks (false: the {@link FileChannel} fallback). */
    static boolean usesFlock() {
        return NATIVE != null;
    }

    /** Releases the lock (closing the descriptor releases a {@code flock}). */
    @Override
    public void close() throws IOException {
        if (released) {
            return;
        }
        released = true;
        if (channel != null) {
            try (channel) {
                channelLock.release();
            }
        } else {
            NATIVE.close(fd);
        }
    }

    /** libc's {@code open}, {@code flock} and {@code close}, with errno captured right after each call. */
    private static final class Native {

        private static final int O_RDWR = 02;
        private static final int O_CREAT = 0100;
        private static final int O_CLOEXEC = 02000000;
        private static final int MODE = 0644; // filelock's default, less the umask
        private static final int LOCK_EX = 2;
        private static final int EINTR = 4;

        private final MethodHandle open;
        private final MethodHandle flock;
        private final MethodHandle closeFd;
        private final StructLayout stateLayout;
        private final VarHandle errno;

        private Native(MethodHandle open, MethodHandle flock, MethodHandle closeFd, StructLayout stateLayout,
                       VarHandle errno) {
            this.open = open;
            this.flock = flock;
            this.closeFd = closeFd;
            this.stateLayout = stateLayout;
            this.errno = errno;
        }

        static Native load() {
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
                return null;
            }
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                Linker.Option captureErrno = Linker.Option.captureCallState("errno");
                StructLayout state = Linker.Option.captureStateLayout();
                MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                        captureErrno, Linker.Option.firstVariadicArg(2));
                MethodHandle flock = linker.downcallHandle(libc.find("flock").orElseThrow(),
                        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), captureErrno);
                MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(),
                        FunctionDescriptor.of(JAVA_INT, JAVA_INT));
                VarHandle errnoHandle = state.varHandle(MemoryLayout.PathElement.groupElement("errno"));
                return new Native(open, flock, close, state, errnoHandle);
            } catch (RuntimeException | LinkageError e) {
                return null; // no such symbol, or native access refused: the FileChannel lock
            }
        }

        int lock(Path file) throws IOException {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = arena.allocate(stateLayout);
                MemorySegment path = arena.allocateFrom(file.toAbsolutePath().toString());
                int fd;
                do {
                    fd = (int) open.invokeExact(state, path, O_RDWR | O_CREAT | O_CLOEXEC, MODE);
                } while (fd < 0 && errno(state) == EINTR);
                if (fd < 0) {
                    throw new IOException("cannot open the lock file " + file + ": errno " + errno(state));
                }
                int rc;
                do {
                    rc = (int) flock.invokeExact(state, fd, LOCK_EX); // blocks while another holder has it
                } while (rc < 0 && errno(state) == EINTR);
                if (rc < 0) {
                    int err = errno(state);
                    close(fd);
                    throw new IOException("cannot lock " + file + ": flock errno " + err);
                }
                return fd;
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException("flock downcall failed", e);
            }
        }

        void close(int fd) throws IOException {
            int rc;
            try {
                rc = (int) closeFd.invokeExact(fd);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException("close downcall failed", e);
            }
            if (rc < 0) {
                // the descriptor is gone either way (Linux closes it even on EINTR), so the lock is released
                throw new IOException("closing a lock file descriptor failed");
            }
        }

        private int errno(MemorySegment state) {
            return (int) errno.get(state, 0L);
        }
    }
}
