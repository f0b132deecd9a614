package dev.blip2serve.hub;

import java.util.regex.Pattern;

/**
 * A model repository on the hub, {@code namespace/name} (or a bare legacy {@code name}), checked with the hub's own
 * rules for ids so that it can never name a path outside the cache.
 */
public record RepoId(String id) {

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}");

    public RepoId {
        String[] parts = id == null ? new String[0] : id.split("/", -1);
        boolean ok = parts.length >= 1 && parts.length <= 2;
        for (String p : parts) {
            ok &= PART.matcher(p).matches() && !p.contains("--") && !p.contains("..") && !p.endsWith(".");
        }
        if (!ok) {
            throw new HubException(HubException.Kind.BAD_INPUT, "'" + id + "' is not a hub repository id (namespace/name: "
                    + "letters, digits, '-', '_', '.'; no '--' or '..')");
        }
    }

    /** The repository's folder in the cache: {@code models--namespace--name}. */
    public String cacheFolder() {
        return "models--" + id.replace("/", "--");
    }

    /** The part after the namespace, the default model name in a model repository. */
    public String name() {
        return id.substring(id.indexOf('/') + 1);
    }

    @Override
    public String toString() {
        return id;
    }
}
