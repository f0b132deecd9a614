/**
 * Models from the Hugging Face Hub, fetched the way {@code huggingface_hub} fetches them, into the same cache.
 *
 * <ul>
 *   <li>{@link dev.blip2serve.hub.HubSettings}: endpoint, cache folder, token and offline mode from {@code HF_*}
 *       environment variables, with huggingface_hub's defaults.</li>
 *   <li>{@link dev.blip2serve.hub.HubClient}: a snapshot of a repository at a revision (file list from
 *       {@code /api/models/{repo}/revision/{rev}}, one {@code HEAD} per file for its etag, size and commit, then the
 *       blob from {@code /resolve/} or the CDN it redirects to), resumable, retried, each blob checked against its
 *       etag before it counts as downloaded; every read of a body bounded by {@code HF_HUB_DOWNLOAD_TIMEOUT}
 *       ({@link dev.blip2serve.hub.ReadTimeoutStream}).</li>
 *   <li>{@link dev.blip2serve.hub.HubCache}: huggingface_hub's layout ({@code models--org--name/blobs},
 *       {@code snapshots/<commit>} of relative symlinks, {@code refs/<rev>}, {@code .locks} taken with
 *       {@code flock(2)} like Python's filelock, {@link dev.blip2serve.hub.BlobLock}), so Python and Java share one
 *       cache.</li>
 *   <li>{@link dev.blip2serve.hub.PrequantizedVariants}: a snapshot that holds variant folders with manifests, verified
 *       by the manifests' hashes and installed into a model repository.</li>
 * </ul>
 *
 * <p>Only the JDK ({@link java.net.http.HttpClient}, and {@code java.lang.foreign} for {@code flock}), Jackson and the {@code repository} package (manifests): no Spring,
 * no ONNX Runtime, no logging framework (progress and retries go to a {@link dev.blip2serve.hub.HubListener}), so the
 * CLI and the service share it. ArchUnit checks this.
 */
package dev.blip2serve.hub;
