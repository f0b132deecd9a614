package dev.blip2serve.serve.web;

import org.apache.catalina.Container;
import org.apache.catalina.Lifecycle;
import org.apache.catalina.Pipeline;
import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Puts {@link ProblemErrorReportValve} in the place of Tomcat's HTML error report, so that requests Tomcat refuses
 * on its own (request line or headers too large or malformed) are answered with problem+json too.
 */
@Configuration(proxyBeanMethods = false)
public class ContainerErrorConfig {

    @Bean
    WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory> problemErrorReportValve() {
        return factory -> factory.addContextCustomizers(context -> {
            Container host = context.getParent();
            // Spring Boot adds an ErrorReportValve of its own and the host its default one; both write HTML and the
            // innermost one wins, so they are swapped out when the host starts, after every customizer has run.
            host.addLifecycleListener(event -> {
                if (Lifecycle.BEFORE_START_EVENT.equals(event.getType())) {
                    replaceErrorReportValves(host);
                }
            });
        });
    }

    private static void replaceErrorReportValves(Container host) {
        Pipeline pipeline = host.getPipeline();
        for (Valve valve : pipeline.getValves()) {
            if (valve instanceof ErrorReportValve) {
                pipeline.removeValve(valve);
            }
        }
        pipeline.addValve(new ProblemErrorReportValve());
        if (host instanceof StandardHost standard) {
            // Otherwise the host adds its default HTML valve when it starts, since ours has another class name.
            standard.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
        }
    }
}
