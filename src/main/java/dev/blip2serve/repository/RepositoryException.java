package dev.blip2serve.repository;

import java.nio.file.Path;

/** A variant folder that cannot be used, with a one-line reason. */
public class RepositoryException extends RuntimeException {

    public RepositoryException(Path variantDir, String problem) {
        super(variantDir + ": " + problem);
    }
}
