package dev.blip2serve.serve.caption;

import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.web.ApiException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The parameters of {@code POST /v1/captions:compare}: the variants to compare and the caption parameters they
 * all use.
 *
 * @param precisions variant names in the order asked, without repeats; empty means every ready variant of the model
 * @param options    the caption parameters ({@code precision} is ignored)
 */
public record CompareOptions(List<String> precisions, CaptionOptions options) {

    /** The list parameter; {@code precision} is accepted as a synonym. */
    public static final String PRECISIONS = "precisions";

    /** Parameter names of the compare endpoint. */
    public static final List<String> NAMES;

    static {
        List<String> names = new ArrayList<>(CaptionOptions.NAMES);
        names.add(PRECISIONS);
        NAMES = List.copyOf(names);
    }

    /** More than this many variants in one call is refused: each one runs a full caption. */
    public static final int MAX_VARIANTS = 16;

    private static final int MAX_NAME_CHARS = 128;

    public static CompareOptions parse(Function<String, String> source, ServeProperties properties) {
        String param = PRECISIONS;
        String raw = source.apply(PRECISIONS);
        if (raw == null || raw.isBlank()) {
            param = "precision";
            raw = source.apply("precision");
        }
        Set<String> names = new LinkedHashSet<>();
        if (raw != null) {
            for (String part : raw.split(",")) {
                String name = part.strip();
                if (name.isEmpty()) {
                    continue;
                }
                if (name.length() > MAX_NAME_CHARS) {
                    throw ApiException.invalidParameter(param, "a precision name is longer than " + MAX_NAME_CHARS
                            + " characters");
                }
                names.add(name);
            }
        }
        if (names.size() > MAX_VARIANTS) {
            throw ApiException.invalidParameter(param, "at most " + MAX_VARIANTS + " precisions per comparison, got "
                    + names.size());
        }
        CaptionOptions options = CaptionOptions.parse(
                name -> name.equals("precision") || name.equals(PRECISIONS) ? null : source.apply(name), properties);
        return new CompareOptions(List.copyOf(names), options);
    }
}
