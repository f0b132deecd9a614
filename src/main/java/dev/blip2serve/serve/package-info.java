/**
 * The captioning service (Spring Boot), feature-packaged; docs/SERVICE.md describes the API.
 *
 * <ul>
 *   <li>{@code model}: the registry of repository variants (BUILDING / LOADING / READY / FAILED with reason), the
 *       background loader with verification and warm-up, the bundled shapes-blip2 bootstrap, the background
 *       quantization and scoring of its presets at low priority ({@code VariantProvisioner}), readiness
 *       ({@code defaultVariant} health), {@code GET /v1/models}, graceful drain at shutdown.</li>
 *   <li>{@code batch}: each variant's bounded queue and micro-batcher (429 + Retry-After when full, batches of
 *       requests with equal generation parameters, per-request deadlines, drain on shutdown).</li>
 *   <li>{@code caption}: {@code POST /v1/captions}, {@code /v1/captions:compare} and {@code /v1/captions:stream}
 *       (Server-Sent Events) in three input forms (multipart, raw {@code image/*}, JSON with base64 or a data URL),
 *       parameter validation, meters.</li>
 *   <li>{@code web}: request ids ({@code X-Request-Id}), problem+json (RFC 9457) for every error with a stable
 *       {@code type} under {@code https://blip2-serve.dev/problems/}, bounded body reading, multipart limits, the
 *       OpenAPI document.</li>
 * </ul>
 *
 * <p>The page at {@code /} is static ({@code src/main/resources/static}).
 */
package dev.blip2serve.serve;
