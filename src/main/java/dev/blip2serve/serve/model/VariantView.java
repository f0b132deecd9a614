package dev.blip2serve.serve.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.blip2serve.repository.Manifest;
import java.util.Map;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * One variant in {@code GET /v1/models}. Manifest fields are null while the manifest is unknown (a variant
 * still being built) or unreadable.
 *
 * @param precision   the variant's label (its folder), what a request's {@code precision} parameter selects
 * @param state       {@code loading}, {@code ready} or {@code failed}
 * @param detail      what a loading variant is doing
 * @param reason      why a failed variant was refused
 * @param preset      what it was built as: the quantize preset or float format (e.g. {@code fp16}, {@code w4a16})
 * @param method      how it was made, with its parameters (alpha, group size, scope, ...)
 * @param compute     per graph, how it computes on CPU and on CUDA (W4A4 says it is simulated)
 * @param bytesOnDisk bytes of all its files
 * @param quality     measured quality the manifest carries (set -> metric -> value)
 * @param latency     measured latency the manifest carries (setting -> ms)
 * @param memory      what is known of its memory: growth of the process RSS while it loaded (approximate, see
 *                    docs/SERVICE.md)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VariantView(String model, String precision, String state, String detail, String reason,
                          boolean isDefault, String preset, Manifest.Method method,
                          Manifest.Calibration calibration, Map<String, Manifest.Component> compute,
                          Long bytesOnDisk, Map<String, Map<String, Double>> quality, Map<String, Double> latency,
                          String createdAt, String toolVersion, Memory memory) {

    /**
     * @param loadResidentDeltaBytes growth of the process's resident memory while the variant was opened and warmed
     *                               up; includes anything else the process allocated meanwhile
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Memory(long loadResidentDeltaBytes) {
    }

    static VariantView of(Variant v, boolean isDefault) {
        Variant.Status s = v.status();
        Manifest m = s.manifest();
        return new VariantView(v.key().model(), v.key().variant(), s.state().apiName(), s.detail(), s.reason(), isDefault,
                m == null ? null : m.preset(), m == null ? null : m.method(), m == null ? null : m.calibration(),
                m == null ? null : m.components(), m == null ? null : m.totalBytes(), m == null ? null : m.quality(),
                m == null ? null : m.latency(), m == null ? null : m.createdAt(), m == null ? null : m.toolVersion(),
                v.loadResidentDeltaBytes() == Variant.NOT_MEASURED ? null : new Memory(v.loadResidentDeltaBytes()));
    }
}
