/**
 * Live scene captioning, {@code /v1/live}: a WebSocket that takes camera frames as binary messages and answers with
 * a caption message only when the caption changes (docs/SERVICE.md, "Live captioning").
 *
 * <p>A feature package of the service: it owns the WebSocket endpoint, the per-connection frame handling (newest
 * frame wins, unchanged scenes skipped) and the live meters, and captions through
 * {@link dev.blip2serve.serve.caption.CaptionService}, so live frames share each variant's queue, micro-batching and
 * caption meters with {@code /v1/captions}.
 */
package dev.blip2serve.serve.live;
