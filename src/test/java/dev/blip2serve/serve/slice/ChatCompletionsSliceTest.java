package dev.blip2serve.serve.slice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.sun.net.httpserver.HttpServer;
import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.caption.CaptionService;
import dev.blip2serve.serve.model.ModelRegistry;
import dev.blip2serve.serve.model.Variant;
import dev.blip2serve.serve.openai.ChatCompletionsController;
import dev.blip2serve.serve.openai.RemoteImageFetcher;
import dev.blip2serve.serve.openai.RemoteImageProperties;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/**
 * {@link ChatCompletionsController} with remote image URLs enabled as an operator would (production fetcher,
 * {@code 127.0.0.1} and {@code localhost} even put on the allowlist) and the caption service mocked: URLs that reach
 * loopback are refused in OpenAI's error shape before any connection, and the local server never sees a request.
 */
@WebMvcTest(controllers = ChatCompletionsController.class, properties = {
        "blip2.openai.remote-images.enabled=true",
        "blip2.openai.remote-images.allowed-hosts=127.0.0.1,localhost"})
@EnableConfigurationProperties({ServeProperties.class, RemoteImageProperties.class})
@Import(RemoteImageFetcher.class)
class ChatCompletionsSliceTest {

    @Autowired
    MockMvc mvc;

    @Autowired
    ServeProperties properties;

    @MockitoBean
    CaptionService service;

    @MockitoBean
    ModelRegistry registry;

    private HttpServer server;
    private final AtomicInteger hits = new AtomicInteger();

    @BeforeEach
    void localServer() throws Exception {
        when(registry.find(anyString(), anyString())).thenReturn(Optional.of(mock(Variant.class)));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", x -> {
            hits.incrementAndGet();
            x.sendResponseHeaders(200, -1);
            x.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String body(String url) {
        return "{\"model\":\"shapes-blip2:fp32\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"" + url + "\"}}]}]}";
    }

    @Test
    void loopbackUrlsAreRefusedEvenWhenAllowlisted() throws Exception {
        int port = server.getAddress().getPort();
        for (String url : new String[] {"https://127.0.0.1:" + port + "/x.png", "https://localhost:" + port + "/x.png"}) {
            mvc.perform(post("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).content(body(url)))
                    .andExpect(status().isBadRequest())
                    .andExpect(jsonPath("$.error.type").value("invalid_request_error"))
                    .andExpect(jsonPath("$.error.param").value("messages[0].content[0].image_url.url"))
                    .andExpect(jsonPath("$.error.message").value(containsString("never fetched")));
        }
        mvc.perform(post("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                        .content(body("http://127.0.0.1:" + port + "/x.png")))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error.message").value(containsString("only https")));
        mvc.perform(post("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                        .content(body("https://images.example.org/x.png")))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error.message").value(containsString("allowlist")));
        assertThat(hits.get()).isZero();
        verifyNoInteractions(service);
    }

    @Test
    void bodiesThatAreNoJsonObjectAreRefusedInOpenAisShape() throws Exception {
        for (NoJsonObjectBodies.Case c : NoJsonObjectBodies.ALL) {
            mvc.perform(post("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).content(c.body()))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_JSON))
                    .andExpect(jsonPath("$.error.message").value(startsWith(c.detailPrefix())))
                    .andExpect(jsonPath("$.error.type").value("invalid_request_error"))
                    .andExpect(jsonPath("$.error.code").value("invalid_request"))
                    .andExpect(jsonPath("$.error.param").isEmpty());
        }
        byte[] huge = new byte[(int) properties.limits().maxJsonBytes() + 1];
        mvc.perform(post("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).content(huge))
                .andExpect(status().isPayloadTooLarge())
                .andExpect(jsonPath("$.error.message").value(startsWith(NoJsonObjectBodies.TOO_LARGE_PREFIX)))
                .andExpect(jsonPath("$.error.code").value("payload_too_large"));
        verifyNoInteractions(service);
    }
}
