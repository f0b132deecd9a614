package dev.blip2serve.serve.caption;

import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.web.ApiException;
import dev.blip2serve.serve.web.BoundedBody;
import dev.blip2serve.serve.web.RequestIds;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

/**
 * {@code POST /v1/captions} in its three forms: multipart ({@code image} part, parameters as form fields or
 * query), a raw {@code image/*} body (parameters in the query), and JSON ({@code image} as base64 or a data
 * URL, parameters as members or query). Any other content type is a 415.
 */
@RestController
@RequestMapping("/v1")
public class CaptionController {

    private final ServeProperties properties;
    private final CaptionService service;

    public CaptionController(ServeProperties properties, CaptionService service) {
        this.properties = properties;
        this.service = service;
    }

    @PostMapping(path = "/captions", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    public CaptionResponse multipart(@RequestPart("image") MultipartFile image, HttpServletRequest request)
            throws IOException {
        long limit = properties.limits().maxBodyBytes().toBytes();
        // The multipart resolver enforces this on a real server; checked again for other containers and MockMvc.
        if (image.getSize() > limit) {
            throw ApiException.tooLarge("the image", limit);
        }
        CaptionOptions options = CaptionOptions.parse(request::getParameter, properties);
        return service.caption(image.getBytes(), options, RequestIds.of(request));
    }

    @PostMapping(path = "/captions", consumes = {"image/*", MediaType.APPLICATION_OCTET_STREAM_VALUE})
    public CaptionResponse raw(HttpServletRequest request) {
        byte[] image = BoundedBody.read(request, properties.limits().maxBodyBytes().toBytes(), "the image");
        CaptionOptions options = CaptionOptions.parse(request::getParameter, properties);
        return service.caption(image, options, RequestIds.of(request));
    }

    @PostMapping(path = "/captions", consumes = MediaType.APPLICATION_JSON_VALUE)
    public CaptionResponse json(HttpServletRequest request) {
        byte[] body = BoundedBody.read(request, properties.limits().maxJsonBytes(), "the JSON body");
        JsonCaptionRequest json = JsonCaptionRequest.parse(body);
        byte[] image = ImagePayload.decode(json.image(), properties.limits().maxBodyBytes().toBytes());
        // JSON members win over the query string.
        CaptionOptions options = CaptionOptions.parse(
                name -> json.fields().containsKey(name) ? json.fields().get(name) : request.getParameter(name), properties);
        return service.caption(image, options, RequestIds.of(request));
    }
}
