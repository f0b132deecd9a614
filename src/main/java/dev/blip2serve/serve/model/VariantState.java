package dev.blip2serve.serve.model;

/**
 * Where a variant is in its life: being built in the background (a quantized variant that does not exist yet),
 * being loaded, serving, or refused with a reason.
 */
public enum VariantState {
    BUILDING, LOADING, READY, FAILED;

    /** As the API spells it. */
    public String apiName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
