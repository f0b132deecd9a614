package dev.blip2serve.serve.batch;

import dev.blip2serve.engine.ImageCaptions;

/**
 * One request's part of a batch.
 *
 * @param captions     its n-best captions
 * @param queueNanos   from joining the queue to the start of its batch
 * @param visionNanos  the batch's vision encoder + Q-Former + projection
 * @param prefillNanos the batch's first decoder pass
 * @param decodeNanos  the batch's remaining decoder steps
 * @param decodeSteps  the batch's decoder steps after prefill
 * @param batchSize    requests in the batch, this one included
 */
public record JobResult(ImageCaptions captions, long queueNanos, long visionNanos, long prefillNanos, long decodeNanos,
                        int decodeSteps, int batchSize) {
}
