package dev.blip2serve.serve.model;

import dev.blip2serve.image.DecodedImage;
import dev.blip2serve.image.ImageDecoder;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Runs a request's image work once per format before a variant is reported ready: decoding a photo-sized baseline
 * and progressive JPEG and a PNG (TurboJPEG's native call stubs, the JDK decoders, class loading) and the model's
 * resize and normalize from that size (their loops get compiled). {@link CaptionModel#warmUp()} covers the ONNX
 * Runtime side with a blank image of the model's own size, which never reaches the resize.
 */
final class RequestPathWarmUp {

    /** Rounds per image: enough for the JIT's first tier to compile the resize loops. */
    private static final int ROUNDS = 3;
    /**
     * A 12 MP phone photo (4032x3024): without it the first such request paid ~45 ms more in preprocessing (fresh
     * native buffers, code not yet run at that scale).
     */
    private static final int PHOTO_WIDTH = 4032;
    private static final int PHOTO_HEIGHT = 3024;
    private static final int PHOTO_PIXELS = PHOTO_WIDTH * PHOTO_HEIGHT;
    private static final List<byte[]> IMAGES = List.of(encode("jpeg", false), encode("jpeg", true), encode("png", false));

    private RequestPathWarmUp() {
    }

    /**
     * Decodes and preprocesses the warm-up images with {@code model}, then maps the native decode buffers of a
     * phone photo and preprocesses one photo-sized image (the resize's large-scale kernels and its split over the
     * common pool); a failure here is a bug, not bad input.
     */
    static void run(CaptionModel model, long maxPixels) {
        ImageDecoder decoder = new ImageDecoder(maxPixels, true);
        for (int r = 0; r < ROUNDS; r++) {
            for (byte[] image : IMAGES) {
                DecodedImage decoded = decoder.decode(image);
                model.preprocess(decoded);
            }
        }
        decoder.reserveNativeBuffers(PHOTO_PIXELS);
        if (PHOTO_PIXELS <= maxPixels) {
            model.preprocess(DecodedImage.ofRgb(new byte[PHOTO_PIXELS * 3], PHOTO_WIDTH, PHOTO_HEIGHT));
        }
    }

    /**
     * A 720x480 picture with gradients and noise (what a web photo costs to decode) above a black and white
     * checkerboard, in the given format. The checkerboard's hard edges make the bicubic resize over- and undershoot
     * 0..255 as real photos do: code compiled on smooth pixels alone would meet its first clamp in a client's request.
     */
    static byte[] encode(String format, boolean progressive) {
        BufferedImage img = new BufferedImage(720, 480, BufferedImage.TYPE_3BYTE_BGR);
        Random random = new Random(20);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int n = random.nextInt(16);
                int rgb = ((x / 3 + n) & 0xff) << 16 | ((y / 2 + n) & 0xff) << 8 | ((x + y) / 5 & 0xff);
                img.setRGB(x, y, y < 360 ? rgb : ((x / 5 + y / 5) & 1) == 0 ? 0 : 0xffffff);
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName(format).next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (progressive) {
                param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            }
            writer.setOutput(out);
            writer.write(null, new IIOImage(img, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }
}
