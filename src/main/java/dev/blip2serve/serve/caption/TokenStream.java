package dev.blip2serve.serve.caption;

import dev.blip2serve.serve.batch.BatchJob;
import dev.blip2serve.serve.model.CaptionModel;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import org.springframework.http.ProblemDetail;

/**
 * Carries one streamed caption from the batch worker to the client. The worker only drops token ids into a
 * queue (so a slow client never slows a batch down); a virtual thread of this stream decodes them into text and
 * calls {@link CaptionEvents} in order. If the client is gone (an event method throws), the job is cancelled and
 * the rest is dropped. The queue holds at most {@code maxNewTokens + 3} entries.
 */
final class TokenStream {

    private static final Runnable END = () -> {
    };

    private final CaptionEvents events;
    private final LinkedBlockingQueue<Runnable> actions = new LinkedBlockingQueue<>();
    private final long[] tokens;
    private int count;
    private String caption = "";
    private CaptionModel model;
    private volatile BatchJob job;
    private boolean gone;

    TokenStream(CaptionEvents events, int maxNewTokens) {
        this.events = events;
        this.tokens = new long[maxNewTokens];
    }

    /** Called by the batch worker for each new token (possibly before {@link #open}). */
    synchronized void token(long id) {
        actions.add(() -> onToken(id));
    }

    /** Starts delivering: the start event first, then whatever tokens arrived already. */
    synchronized void open(CaptionModel model, BatchJob job, CaptionEvents.Start start) {
        this.model = model;
        this.job = job;
        LinkedBlockingQueue<Runnable> early = new LinkedBlockingQueue<>();
        actions.drainTo(early);
        actions.add(() -> events.start(start));
        actions.addAll(early);
        Thread.ofVirtual().name("blip2-stream-" + start.requestId()).start(this::deliver);
    }

    void finish(CaptionService.Captioned captioned) {
        actions.add(() -> events.result(captioned));
        actions.add(END);
    }

    void fail(ProblemDetail problem) {
        actions.add(() -> events.error(problem));
        actions.add(END);
    }

    private void onToken(long id) {
        if (count == tokens.length) {
            return;
        }
        tokens[count++] = id;
        String text = model.decode(Arrays.copyOf(tokens, count));
        // An incomplete multi-byte character decodes to U+FFFD: wait for the token that completes it.
        if (text.endsWith("\uFFFD")) {
            return;
        }
        String delta = text.startsWith(caption) ? text.substring(caption.length()) : "";
        caption = text;
        events.token(new CaptionEvents.Token(count - 1, id, delta, text));
    }

    private void deliver() {
        while (true) {
            Runnable next;
            try {
                next = actions.take();
            } catch (InterruptedException e) {
                return;
            }
            if (next == END) {
                try {
                    events.close();
                } catch (RuntimeException e) {
                    // the client is gone
                }
                return;
            }
            if (gone) {
                continue;
            }
            try {
                next.run();
            } catch (RuntimeException e) {
                gone = true;
                BatchJob j = job;
                if (j != null) {
                    j.cancel();
                }
            }
        }
    }
}
