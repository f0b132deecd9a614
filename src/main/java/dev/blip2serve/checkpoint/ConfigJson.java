package dev.blip2serve.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Typed reads from a Hugging Face JSON config, with defaults and one-line errors naming the file. */
final class ConfigJson {

    private static final long MAX_CONFIG_BYTES = 16L << 20;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path file;
    private final JsonNode node;
    private final String prefix;

    private ConfigJson(Path file, JsonNode node, String prefix) {
        this.file = file;
        this.node = node;
        this.prefix = prefix;
    }

    static ConfigJson read(Path file) {
        try {
            if (Files.size(file) > MAX_CONFIG_BYTES) {
                throw new CheckpointException(file, "larger than " + (MAX_CONFIG_BYTES >> 20) + " MB, not a config file");
            }
            JsonNode root = JSON.readTree(file.toFile());
            if (root == null || !root.isObject()) {
                throw new CheckpointException(file, "not a JSON object");
            }
            return new ConfigJson(file, root, "");
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "file not found");
        } catch (JacksonException e) {
            throw new CheckpointException(file, "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + e.getMessage());
        }
    }

    Path file() {
        return file;
    }

    boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    /** A nested object; an empty one (all defaults) when absent. */
    ConfigJson object(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return new ConfigJson(file, JSON.createObjectNode(), prefix + key + ".");
        }
        if (!v.isObject()) {
            throw bad(key, "an object");
        }
        return new ConfigJson(file, v, prefix + key + ".");
    }

    int integer(String key, int dflt) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw bad(key, "an integer");
        }
        return v.asInt();
    }

    int positive(String key, int dflt) {
        int v = integer(key, dflt);
        if (v <= 0) {
            throw new CheckpointException(file, prefix + key + " must be positive, got " + v);
        }
        return v;
    }

    double number(String key, double dflt) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber()) {
            throw bad(key, "a number");
        }
        return v.asDouble();
    }

    boolean bool(String key, boolean dflt) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw bad(key, "true or false");
        }
        return v.asBoolean();
    }

    String string(String key, String dflt) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isString()) {
            throw bad(key, "a string");
        }
        return v.asString();
    }

    /** An int or a list of ints (HF allows both for eos_token_id). */
    int[] ints(String key, int[] dflt) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (v.isIntegralNumber() && v.canConvertToInt()) {
            return new int[] {v.asInt()};
        }
        if (!v.isArray()) {
            throw bad(key, "an integer or a list of integers");
        }
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = v.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                throw bad(key, "an integer or a list of integers");
            }
            out[i] = e.asInt();
        }
        return out;
    }

    double[] doubles(String key, double[] dflt) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isArray()) {
            throw bad(key, "a list of numbers");
        }
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isNumber()) {
                throw bad(key, "a list of numbers");
            }
            out[i] = v.get(i).asDouble();
        }
        return out;
    }

    CheckpointException error(String problem) {
        return new CheckpointException(file, problem);
    }

    private CheckpointException bad(String key, String expected) {
        return new CheckpointException(file, prefix + key + " must be " + expected + ", got " + node.get(key));
    }
}
