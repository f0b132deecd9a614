/**
 * The captioning service (Spring Boot), feature-packaged.
 *
 * <ul>
 *   <li>{@code model}: the registry of repository variants (LOADING / READY / FAILED with reason), the
 *       background loader with verification and warm-up, the bundled shapes-blip2 bootstrap, readiness
 *       ({@code defaultVariant} health) and {@code GET /v1/models}.</li>
 *   <li>{@code caption}: {@code POST /v1/captions} (multipart, raw {@code image/*}, JSON with base64 or a data
 *       URL), parameter validation, per-variant admission control (429 + Retry-After), meters.</li>
 *   <li>{@code web}: request ids ({@code X-Request-Id}), problem+json (RFC 9457) for every error with a stable
 *       {@code type} under {@code https://blip2-serve.dev/problems/}, bounded body reading, multipart limits.</li>
 * </ul>
 */
package dev.blip2serve.serve;
