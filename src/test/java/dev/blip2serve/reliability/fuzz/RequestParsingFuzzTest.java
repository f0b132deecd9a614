package dev.blip2serve.reliability.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.caption.CaptionOptions;
import dev.blip2serve.serve.caption.CompareOptions;
import dev.blip2serve.serve.web.ApiException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * Fuzzes what the service does with a request before any model runs: the JSON body
 * ({@code JsonCaptionRequest.parse}), the base64 / data-URL image ({@code ImagePayload.decode}) and the
 * parameters ({@link CaptionOptions#parse}, {@link CompareOptions#parse}) as every form delivers them (strings by
 * name). Only {@link ApiException} (a 4xx problem) may escape. The two package-private parsers are reached through
 * reflection, since this test lives outside their package.
 */
class RequestParsingFuzzTest {

    /** The documented defaults, bound the way Spring binds application.properties. */
    private static final ServeProperties PROPERTIES = new Binder(new MapConfigurationPropertySource(
            Map.of("blip2.repository", "unused"))).bindOrCreate("blip2", ServeProperties.class);
    private static final long LIMIT = 1 << 20;
    private static final MethodHandle PARSE_JSON;
    private static final MethodHandle DECODE_IMAGE;
    private static final MethodHandle FIELDS;
    private static final MethodHandle IMAGE;

    static {
        try {
            Class<?> json = Class.forName("dev.blip2serve.serve.caption.JsonCaptionRequest");
            Class<?> payload = Class.forName("dev.blip2serve.serve.caption.ImagePayload");
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            Method parse = json.getDeclaredMethod("parse", byte[].class, List.class);
            parse.setAccessible(true);
            PARSE_JSON = lookup.unreflect(parse);
            Method decode = payload.getDeclaredMethod("decode", String.class, long.class);
            decode.setAccessible(true);
            DECODE_IMAGE = lookup.unreflect(decode);
            Method fields = json.getDeclaredMethod("fields");
            fields.setAccessible(true);
            FIELDS = lookup.unreflect(fields);
            Method image = json.getDeclaredMethod("image");
            image.setAccessible(true);
            IMAGE = lookup.unreflect(image);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    static final byte[] SAMPLE = ("{\"image\":\"data:image/png;base64,"
            + Base64.getEncoder().encodeToString(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0})
            + "\",\"precision\":\"fp16\",\"prompt\":\"Question: what colour? Answer:\",\"max_new_tokens\":12,"
            + "\"min_new_tokens\":\"2\",\"num_beams\":3,\"num_captions\":2,\"repetition_penalty\":1.2,"
            + "\"deadline_ms\":5000,\"model\":\"shapes-blip2\"}").getBytes(StandardCharsets.UTF_8);
    static final byte[] SAMPLE_COMPARE = ("{\"image\":\"iVBORw0KGgo=\",\"precisions\":[\"fp32\",\"fp16\",\"w8a8\"],"
            + "\"max_new_tokens\":\"7\"}").getBytes(StandardCharsets.UTF_8);

    @FuzzTest(maxDuration = "20s")
    void parseRequest(FuzzedDataProvider data) throws Throwable {
        boolean compare = data.consumeBoolean();
        if (data.consumeBoolean()) {
            // the query-string / form-field form: strings by name
            Map<String, String> params = new HashMap<>();
            List<String> names = compare ? CompareOptions.NAMES : CaptionOptions.NAMES;
            int n = data.consumeInt(0, names.size());
            for (int i = 0; i < n; i++) {
                params.put(data.pickValue(names), data.consumeString(64));
            }
            checkOptions(params, compare);
            return;
        }
        check(Inputs.rawOrMutated(data, compare ? SAMPLE_COMPARE : SAMPLE), compare);
    }

    @SuppressWarnings("unchecked")
    static void check(byte[] body, boolean compare) throws Throwable {
        try {
            Object request = PARSE_JSON.invoke(body, compare ? CompareOptions.NAMES : CaptionOptions.NAMES);
            Map<String, String> fields = (Map<String, String>) FIELDS.invoke(request);
            String image = (String) IMAGE.invoke(request);
            byte[] decoded = (byte[]) DECODE_IMAGE.invoke(image, LIMIT);
            if (decoded.length > LIMIT) {
                throw new AssertionError("decoded " + decoded.length + " bytes past the limit");
            }
            checkOptions(fields, compare);
        } catch (ApiException expected) {
            checkProblem(expected);
        }
    }

    static void checkOptions(Map<String, String> params, boolean compare) {
        try {
            if (compare) {
                CompareOptions.parse(params::get, PROPERTIES);
            } else {
                CaptionOptions o = CaptionOptions.parse(params::get, PROPERTIES);
                if (o.maxNewTokens() < 1 || o.maxNewTokens() > 64 || o.numBeams() < 1 || o.numBeams() > 8
                        || o.numCaptions() > o.numBeams() || o.minNewTokens() > o.maxNewTokens()
                        || !(o.repetitionPenalty() > 0) || o.prompt().length() > 2000) {
                    throw new AssertionError("out-of-range options accepted: " + o);
                }
            }
        } catch (ApiException expected) {
            checkProblem(expected);
        }
    }

    private static void checkProblem(ApiException e) {
        int status = e.type().status().value();
        if (status < 400 || status >= 500) {
            throw new AssertionError("request parsing answered " + status, e);
        }
    }
}
