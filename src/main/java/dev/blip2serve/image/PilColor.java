package dev.blip2serve.image;

/**
 * The integer color conversions that PIL (and the libjpeg it links) apply, reproduced exactly.
 *
 * <p>JPEG pixels are read from ImageIO as raw, unconverted samples ({@code readRaster}) so that an embedded
 * ICC profile is ignored, as PIL ignores it, and the color conversion is then done here with libjpeg's own
 * fixed-point tables ({@code jdcolor.c}, 16 fraction bits). libjpeg-turbo (PIL) and the IJG libjpeg bundled
 * in the JDK share those tables, so this equals what either library would output.
 */
final class PilColor {

    private PilColor() {
    }

    private static final int SCALEBITS = 16;
    private static final int ONE_HALF = 1 << (SCALEBITS - 1);

    // libjpeg's ycc -> rgb tables, indexed by the 0..255 chroma sample.
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALEBITS;
            CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALEBITS;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF; // carries the rounding for G
        }
    }

    private static int fix(double v) {
        return (int) (v * (1L << SCALEBITS) + 0.5);
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(v, 255)); // branch-free: see SeparableResampler.clip8
    }

    /** In place: interleaved Y Cb Cr triples to R G B (libjpeg {@code ycc_rgb_convert}). */
    static void yccToRgb(byte[] px) {
        for (int i = 0; i + 2 < px.length; i += 3) {
            int y = px[i] & 0xff;
            int cb = px[i + 1] & 0xff;
            int cr = px[i + 2] & 0xff;
            px[i] = (byte) clamp(y + CR_R[cr]);
            px[i + 1] = (byte) clamp(y + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
            px[i + 2] = (byte) clamp(y + CB_B[cb]);
        }
    }

    /** In place: interleaved Y Cb Cr K to C M Y K as libjpeg stores it ({@code ycck_cmyk_convert}). */
    static void ycckToCmyk(byte[] px) {
        for (int i = 0; i + 3 < px.length; i += 4) {
            int y = px[i] & 0xff;
            int cb = px[i + 1] & 0xff;
            int cr = px[i + 2] & 0xff;
            px[i] = (byte) clamp(255 - (y + CR_R[cr]));
            px[i + 1] = (byte) clamp(255 - (y + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS)));
            px[i + 2] = (byte) clamp(255 - (y + CB_B[cb]));
            // K passes through
        }
    }

    /**
     * Four-component JPEG samples (as libjpeg outputs CMYK) to RGB the way PIL does: it opens every 4-channel
     * JPEG with raw mode {@code CMYK;I} (inverted, "Adobe convention", whatever the markers say) and then
     * {@code convert("RGB")} computes {@code 255 - k - c * (255 - k) / 255} per channel, without any ICC
     * profile.
     *
     * @param cmyk interleaved, 4 bytes per pixel
     * @return interleaved RGB, 3 bytes per pixel
     */
    static byte[] invertedCmykToRgb(byte[] cmyk) {
        int n = cmyk.length / 4;
        byte[] out = new byte[n * 3];
        for (int p = 0; p < n; p++) {
            int k = 255 - (cmyk[4 * p + 3] & 0xff); // CMYK;I inverts every channel on unpack
            int nk = 255 - k;
            for (int c = 0; c < 3; c++) {
                int v = 255 - (cmyk[4 * p + c] & 0xff);
                out[3 * p + c] = (byte) clamp(nk - mulDiv255(v, nk));
            }
        }
        return out;
    }

    /** PIL's {@code MULDIV255}: {@code a * b / 255} rounded, with PIL's shift trick. */
    static int mulDiv255(int a, int b) {
        int tmp = a * b + 128;
        return ((tmp >> 8) + tmp) >> 8;
    }

    /** An n-bit channel value scaled to 8 bits the way PIL's unpackers do it ({@code v * 255 / max}, truncated). */
    static int scaleTo8(int v, int bits) {
        if (bits == 8) {
            return v;
        }
        int max = (1 << bits) - 1;
        return (int) ((long) v * 255 / max);
    }
}
