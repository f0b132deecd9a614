package dev.blip2serve.eval.spice;

import java.util.List;
import java.util.Set;

/** Parses captions into SPICE tuples (objects, attributes, relations). */
public interface SceneGraphParser {

    /** A version string; part of the cache key, so that a new parser never reads old tuples. */
    String version();

    /** The tuples of each caption, in order; an empty or punctuation-only caption has none. */
    List<Set<SpiceTuple>> parse(List<String> captions);
}
