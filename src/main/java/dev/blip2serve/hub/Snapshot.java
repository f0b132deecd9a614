package dev.blip2serve.hub;

import java.nio.file.Path;
import java.util.List;

/**
 * A repository at one commit, complete in the cache.
 *
 * @param repo     the repository
 * @param revision what was asked for (branch, tag or commit)
 * @param commit   the commit it resolved to
 * @param dir      {@code snapshots/<commit>/}: the files as symlinks into {@code blobs/}
 * @param files    the repository paths in the snapshot, sorted
 * @param bytes    their total size
 * @param fetched  bytes downloaded by this pull (0 when everything was cached)
 */
public record Snapshot(RepoId repo, String revision, String commit, Path dir, List<String> files, long bytes, long fetched) {
}
