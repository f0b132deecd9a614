package dev.blip2serve.serve.caption;

import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.web.ApiException;
import dev.blip2serve.serve.web.BoundedBody;
import dev.blip2serve.serve.web.JsonBody;
import dev.blip2serve.serve.web.ProblemType;
import dev.blip2serve.serve.web.RequestIds;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.multipart.MultipartHttpServletRequest;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * {@code POST /v1/captions}, {@code /v1/captions:compare} and {@code /v1/captions:stream}, each taking the image in
 * three forms: multipart ({@code image} part, parameters as form fields or query), a raw {@code image/*} body
 * (parameters in the query), and JSON ({@code image} as base64 or a data URL, parameters as members or query).
 * Any other content type is a 415. The OpenAPI description of these operations is in
 * {@link dev.blip2serve.serve.web.OpenApiConfig}.
 */
@RestController
@RequestMapping("/v1")
public class CaptionController {

    /** How long an SSE response stays open past the request's deadline (the final event is sent by then). */
    private static final long STREAM_GRACE_MS = 10_000;

    private final ServeProperties properties;
    private final CaptionService service;

    public CaptionController(ServeProperties properties, CaptionService service) {
        this.properties = properties;
        this.service = service;
    }

    /** The image and a parameter lookup, whichever form the request took. */
    private record Input(byte[] image, Function<String, String> params) {
    }

    @PostMapping(path = "/captions", consumes = {MediaType.MULTIPART_FORM_DATA_VALUE, "image/*",
            MediaType.APPLICATION_OCTET_STREAM_VALUE, MediaType.APPLICATION_JSON_VALUE})
    public CaptionResponse caption(HttpServletRequest request) throws IOException {
        Input in = read(request, CaptionOptions.NAMES);
        return service.caption(in.image(), CaptionOptions.parse(in.params(), properties), RequestIds.of(request));
    }

    @PostMapping(path = "/captions:compare", consumes = {MediaType.MULTIPART_FORM_DATA_VALUE, "image/*",
            MediaType.APPLICATION_OCTET_STREAM_VALUE, MediaType.APPLICATION_JSON_VALUE})
    public CompareResponse compare(HttpServletRequest request) throws IOException {
        Input in = read(request, CompareOptions.NAMES);
        return service.compare(in.image(), CompareOptions.parse(in.params(), properties), RequestIds.of(request),
                request.getRequestURI());
    }

    @PostMapping(path = "/captions:stream", consumes = {MediaType.MULTIPART_FORM_DATA_VALUE, "image/*",
            MediaType.APPLICATION_OCTET_STREAM_VALUE, MediaType.APPLICATION_JSON_VALUE})
    public SseEmitter stream(HttpServletRequest request) throws IOException {
        Input in = read(request, CaptionOptions.NAMES);
        CaptionOptions options = CaptionOptions.parse(in.params(), properties);
        SseEmitter emitter = new SseEmitter(options.deadlineMs() + STREAM_GRACE_MS);
        service.stream(in.image(), options, RequestIds.of(request), request.getRequestURI(), new SseCaptionEvents(emitter));
        return emitter;
    }

    private Input read(HttpServletRequest request, List<String> jsonNames) throws IOException {
        long limit = properties.limits().maxBodyBytes().toBytes();
        if (request instanceof MultipartHttpServletRequest multipart) {
            MultipartFile image = onlyImagePart(multipart);
            // The multipart resolver enforces this on a real server; checked again for other containers and MockMvc.
            if (image.getSize() > limit) {
                throw ApiException.tooLarge("the image", limit);
            }
            return new Input(image.getBytes(), request::getParameter);
        }
        if (request.getContentType() == null) {
            // Spring matches a body without Content-Type as octet-stream; refuse it like any unsupported type.
            throw new ApiException(ProblemType.UNSUPPORTED_MEDIA_TYPE, "the request has no Content-Type; send "
                    + "multipart/form-data, image/*, application/octet-stream or application/json");
        }
        MediaType type = MediaType.parseMediaType(request.getContentType());
        if (MediaType.APPLICATION_JSON.isCompatibleWith(type)) {
            byte[] body = BoundedBody.read(request, properties.limits().maxJsonBytes(), JsonBody.WHAT);
            JsonCaptionRequest json = JsonCaptionRequest.parse(body, jsonNames);
            byte[] image = ImagePayload.decode(json.image(), limit);
            // JSON members win over the query string.
            return new Input(image, name -> json.fields().containsKey(name) ? json.fields().get(name)
                    : request.getParameter(name));
        }
        if (MediaType.MULTIPART_FORM_DATA.isCompatibleWith(type)) {
            throw new ApiException(ProblemType.INVALID_REQUEST, "the multipart body could not be read");
        }
        return new Input(BoundedBody.read(request, limit, "the image"), request::getParameter);
    }

    /**
     * The one {@code image} file part. A second image or a file part under another name is refused rather than
     * ignored: the client meant something by it (a batch, a misspelt name) that this request would not do.
     */
    private static MultipartFile onlyImagePart(MultipartHttpServletRequest multipart) {
        MultipartFile image = multipart.getFile("image");
        if (image == null) {
            throw new ApiException(ProblemType.INVALID_REQUEST, "the multipart body has no 'image' part");
        }
        for (Map.Entry<String, List<MultipartFile>> part : multipart.getMultiFileMap().entrySet()) {
            if (!part.getKey().equals("image")) {
                throw ApiException.invalidParameter(part.getKey(), "file part '" + part.getKey() + "' is not used: "
                        + "only 'image' may be a file; send parameters as plain form fields");
            }
            if (part.getValue().size() > 1) {
                throw ApiException.invalidParameter("image", "the multipart body has " + part.getValue().size()
                        + " 'image' parts; send exactly one image per request");
            }
        }
        return image;
    }
}
