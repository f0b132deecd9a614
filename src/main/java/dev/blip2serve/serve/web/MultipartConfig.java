package dev.blip2serve.serve.web;

import dev.blip2serve.serve.ServeProperties;
import jakarta.servlet.MultipartConfigElement;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Multipart limits follow {@code blip2.limits.max-body-bytes}, so there is one setting for the image size
 * whichever way it arrives; an upload over it becomes a 413 problem (MaxUploadSizeExceededException).
 */
@Configuration(proxyBeanMethods = false)
public class MultipartConfig {

    /** Room for the form fields next to the image part. */
    private static final long FORM_FIELDS_BYTES = 1L << 20;

    @Bean
    MultipartConfigElement multipartConfigElement(ServeProperties properties) {
        long image = properties.limits().maxBodyBytes().toBytes();
        // Small uploads stay in memory; larger ones go to a temp file instead of the heap.
        return new MultipartConfigElement("", image, image + FORM_FIELDS_BYTES, (int) Math.min(image, 1 << 20));
    }
}
