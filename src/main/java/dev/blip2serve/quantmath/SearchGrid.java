package dev.blip2serve.quantmath;

/**
 * The grid and the sample of a scale search ({@link AwqSearch}, {@link GroupAwareSmoothSearch}): exponents (AWQ's
 * ratio, SmoothQuant's alpha) in steps of {@code 1 / gridSize}, each scored on at most {@code maxRows} activation rows.
 * Which end points a search tries is its own: AWQ {@code 0 .. (gridSize-1)/gridSize} as llm-awq, the group-aware
 * search {@code 0 .. 1}.
 *
 * @param gridSize steps per unit exponent (llm-awq: 20)
 * @param maxRows  activation rows used for the loss (evenly spaced subsample when X has more)
 */
public record SearchGrid(int gridSize, int maxRows) {

    /** Steps of 0.05, 512 rows. */
    public static final SearchGrid DEFAULT = new SearchGrid(20, 512);

    public SearchGrid {
        if (gridSize < 1) {
            throw new IllegalArgumentException("grid size must be at least 1, got " + gridSize);
        }
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be at least 1, got " + maxRows);
        }
    }
}
