/**
 * The OpenAI-compatible vision API: {@code POST /v1/chat/completions} (messages with an image part, streaming as
 * {@code chat.completion.chunk} frames) and OpenAI's error shape on that route, so an app written against an
 * OpenAI SDK switches to this service by changing its base URL. A feature package of its own because it is a
 * translation layer only: requests become {@link dev.blip2serve.serve.caption.CaptionOptions} and go through the
 * same {@link dev.blip2serve.serve.caption.CaptionService} (queues, micro-batching, deadlines, 429/503, meters) as
 * {@code /v1/captions}. Remote image URLs are fetched only when an operator enables them, behind the SSRF guards of
 * {@link dev.blip2serve.serve.openai.RemoteImageFetcher}.
 */
package dev.blip2serve.serve.openai;
