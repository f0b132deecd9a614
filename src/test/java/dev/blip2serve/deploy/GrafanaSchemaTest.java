package dev.blip2serve.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped dashboards against Grafana's own dashboard schema: {@code @grafana/schema} (npm, deploy/tools) holds the
 * TypeScript types Grafana generates from its dashboard kind ({@code Dashboard} in raw/dashboard/x), and the
 * TypeScript compiler checks each dashboard's JSON as an object literal of that type ({@code --strict}): a missing
 * required field, a value of the wrong type, an unknown variable field or an unknown top-level key are errors. Grafana
 * itself cannot run here; this is the schema it loads dashboards by. (Its provisioning YAML has no published schema;
 * DashboardJsonTest checks those files' structure.)
 */
class GrafanaSchemaTest {

    private static final Path SCHEMA = DeployTools.TOOLS.resolve(
            "node_modules/@grafana/schema/dist/types/raw/dashboard/x/types.gen.d.ts");
    private static final Path TSC = DeployTools.TOOLS.resolve("node_modules/typescript/bin/tsc");

    @TempDir
    Path tmp;

    @Test
    void everyShippedDashboardIsAGrafanaDashboard() throws IOException {
        List<Path> dashboards = Dashboards.files();
        assertThat(dashboards).isNotEmpty();
        for (Path dashboard : dashboards) {
            DeployTools.Result r = typeCheck(Files.readString(dashboard));
            assertThat(r.exitCode()).as(dashboard + " against Grafana's Dashboard type:\n" + r.all()).isZero();
        }
    }

    @Test
    void theCheckRefusesWhatGrafanaWouldNotLoad() throws IOException {
        String shipped = Files.readString(Dashboards.files().getFirst());
        DeployTools.Result wrongType = typeCheck(shipped.replaceFirst("\"schemaVersion\": (\\d+)", "\"schemaVersion\": \"$1\""));
        assertThat(wrongType.exitCode()).isNotZero();
        assertThat(wrongType.all()).contains("error TS2322: Type 'string' is not assignable to type 'number'");
        DeployTools.Result unknownKey = typeCheck(shipped.replaceFirst("\\{", "{\"refreshEvery\": \"5s\","));
        assertThat(unknownKey.exitCode()).isNotZero();
        assertThat(unknownKey.all()).contains("refreshEvery");
    }

    /** tsc --strict on {@code const dashboard: Dashboard = <json>}; the compiler's result. */
    private DeployTools.Result typeCheck(String json) throws IOException {
        Path node = DeployTools.require(DeployTools.onPath("node"), "node (Debian package nodejs)");
        DeployTools.require(Files.isRegularFile(TSC) && Files.isRegularFile(SCHEMA) ? Optional.of(TSC) : Optional.empty(),
                "@grafana/schema and typescript (npm ci in deploy/tools)");
        Path dir = Files.createTempDirectory(tmp, "tsc");
        String types = SCHEMA.toString().replaceFirst("\\.d\\.ts$", "");
        Files.writeString(dir.resolve("dashboard.ts"), "import type { Dashboard } from \"" + types + "\";\n"
                + "export const dashboard: Dashboard = " + json + ";\n");
        Files.writeString(dir.resolve("tsconfig.json"), """
                {"compilerOptions": {"strict": true, "noEmit": true, "target": "es2022", "module": "es2022",
                  "moduleResolution": "bundler", "types": []},
                 "files": ["dashboard.ts"]}
                """);
        return DeployTools.run(List.of(node.toString(), TSC.toString(), "-p", dir.resolve("tsconfig.json").toString()),
                Duration.ofMinutes(3), dir);
    }
}
