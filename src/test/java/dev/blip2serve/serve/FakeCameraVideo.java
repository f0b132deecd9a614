package dev.blip2serve.serve;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A video for Chromium's fake camera ({@code --use-file-for-fake-video-capture}): YUV4MPEG2, 4:2:0, each scene an
 * image scaled to a square and held for some frames, one scene after the other (Chromium loops the file).
 */
final class FakeCameraVideo {

    private FakeCameraVideo() {
    }

    /**
     * @param scenes         images, in order
     * @param framesPerScene frames each image is held for
     * @param side           frame width and height (even)
     * @param fps            frames per second the file declares
     */
    static void write(Path out, List<Path> scenes, int framesPerScene, int side, int fps) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(out))) {
            os.write(("YUV4MPEG2 W" + side + " H" + side + " F" + fps + ":1 Ip A1:1 C420jpeg\n")
                    .getBytes(StandardCharsets.US_ASCII));
            for (Path scene : scenes) {
                byte[] frame = yuv420(scaled(ImageIO.read(scene.toFile()), side), side);
                for (int i = 0; i < framesPerScene; i++) {
                    os.write("FRAME\n".getBytes(StandardCharsets.US_ASCII));
                    os.write(frame);
                }
            }
        }
    }

    private static BufferedImage scaled(BufferedImage src, int side) {
        BufferedImage out = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, side, side, null);
        g.dispose();
        return out;
    }

    /** Full-range BT.601 (JPEG's YCbCr): the Y plane, then Cb and Cr averaged over 2x2 blocks. */
    private static byte[] yuv420(BufferedImage img, int side) {
        int half = side / 2;
        byte[] out = new byte[side * side + 2 * half * half];
        double[] cb = new double[half * half];
        double[] cr = new double[half * half];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int p = img.getRGB(x, y);
                int r = (p >> 16) & 0xff;
                int g = (p >> 8) & 0xff;
                int b = p & 0xff;
                out[y * side + x] = (byte) clamp(0.299 * r + 0.587 * g + 0.114 * b);
                int c = (y / 2) * half + x / 2;
                cb[c] += (-0.168736 * r - 0.331264 * g + 0.5 * b + 128) / 4;
                cr[c] += (0.5 * r - 0.418688 * g - 0.081312 * b + 128) / 4;
            }
        }
        for (int i = 0; i < half * half; i++) {
            out[side * side + i] = (byte) clamp(cb[i]);
            out[side * side + half * half + i] = (byte) clamp(cr[i]);
        }
        return out;
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }
}
