package dev.blip2serve.serve;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.blip2serve.serve.model.ModelRegistry;
import dev.blip2serve.serve.model.Variant;
import dev.blip2serve.serve.model.VariantKey;
import dev.blip2serve.serve.web.ProblemType;
import dev.blip2serve.serve.web.RequestIdFilter;
import io.micrometer.core.instrument.MeterRegistry;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.ResultActions;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.context.WebApplicationContext;

/**
 * The service with fake variants (no ONNX Runtime, no repository loading) behind MockMvc: shapes-blip2 fp32 and
 * fp16 ready, w8a8 loading, w4a4 failed. Every subclass shares this one application context (same annotations),
 * so each test resets the variants it uses. Small queue: max batch 4, one more queued, one worker, no fill wait.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.MOCK, properties = {
        "blip2.load-on-startup=false",
        "blip2.limits.max-body-bytes=4KB",
        "blip2.limits.max-prompt-chars=100",
        "blip2.batching.max-batch=4",
        "blip2.batching.max-queued=1",
        "blip2.batching.workers=1",
        "blip2.batching.max-wait=0s",
        "blip2.batching.retry-after-seconds=3"})
public abstract class FakeServiceTest {

    static final String PROBLEM = MediaType.APPLICATION_PROBLEM_JSON_VALUE;

    @Autowired
    WebApplicationContext context;
    @Autowired
    ModelRegistry registry;
    @Autowired
    RequestIdFilter requestIdFilter;
    @Autowired
    MeterRegistry meters;

    MockMvc mvc;
    FakeCaptionModel fp32;
    FakeCaptionModel fp16;
    byte[] png;

    @BeforeEach
    void setUpVariants() throws IOException {
        mvc = MockMvcBuilders.webAppContextSetup(context).addFilters(requestIdFilter).build();
        fp32 = new FakeCaptionModel("shapes-blip2", "fp32");
        fp16 = new FakeCaptionModel("shapes-blip2", "fp16");
        variant("fp32").ready(fp32);
        variant("fp16").ready(fp16);
        variant("w8a8").loading("verifying and opening");
        variant("w4a4").failed("files do not match the manifest: decoder.onnx: missing", null);
        png = png(20, 10);
    }

    Variant variant(String name) {
        return registry.register(new VariantKey("shapes-blip2", name), Path.of("unused", name));
    }

    static byte[] png(int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        image.setRGB(1, 1, 0xff0000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    static String type(ProblemType t) {
        return t.uri().toString();
    }

    static ResultActions expectProblem(ResultActions r, ProblemType type, int status) throws Exception {
        return r.andExpect(status().is(status))
                .andExpect(content().contentTypeCompatibleWith(PROBLEM))
                .andExpect(jsonPath("$.type").value(type(type)))
                .andExpect(jsonPath("$.status").value(status))
                .andExpect(jsonPath("$.title").isNotEmpty())
                .andExpect(jsonPath("$.detail").isNotEmpty())
                .andExpect(jsonPath("$.request_id").isNotEmpty())
                .andExpect(header().exists("X-Request-Id"))
                .andExpect(content().string(not(containsString("Exception"))))
                .andExpect(content().string(not(containsString("\tat "))));
    }
}
