package org.jlxcfs.daemon.node;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The node label: one merge patch of the Node, retried until accepted, removed only when asked. */
class NodeLabelTest {
    private static final Duration T = Duration.ofSeconds(20);
    @TempDir
    Path tmp;
    private FakeKubernetesApi api;
    private NodeLabel label;

    @BeforeEach
    void start() throws Exception {
        api = new FakeKubernetesApi(tmp);
    }

    @AfterEach
    void stop() {
        if (label != null) label.close();
        api.close();
    }

    private NodeLabel label(String node) {
        return new NodeLabel(new NodeApi(api.uri(), api.serviceAccountDir), node, Duration.ofMillis(50), Duration.ofMillis(200));
    }

    @Test
    void labelsTheNodeWithAMergePatchAndTheServiceAccountToken() throws Exception {
        label = label("node-1.example");
        label.apply();
        api.awaitRequests(1, T);
        FakeKubernetesApi.Request r = api.requests.getFirst();
        assertThat(r.method()).isEqualTo("PATCH");
        assertThat(r.path()).isEqualTo("/api/v1/nodes/node-1.example");
        assertThat(r.contentType()).isEqualTo("application/merge-patch+json");
        assertThat(r.authorization()).isEqualTo("Bearer token-1");
        assertThat(r.body()).isEqualTo("{\"metadata\":{\"labels\":{\"jlxcfs.io/serving\":\"true\"}}}");
        for (int i = 0; i < 100 && !label.labelled(); i++) Thread.sleep(20);
        assertThat(label.labelled()).isTrue();
        Thread.sleep(300);
        assertThat(api.requests).as("no further patch once labelled").hasSize(1);
    }

    @Test
    void retriesUntilTheApiServerAcceptsWithTheCurrentToken() throws Exception {
        api.answer(503, 403, 500);
        label = label("n1");
        label.apply();
        api.awaitRequests(2, T);
        api.token("token-2"); // rotated while retrying
        api.awaitRequests(4, T);
        for (int i = 0; i < 100 && !label.labelled(); i++) Thread.sleep(20);
        assertThat(label.labelled()).isTrue();
        assertThat(api.requests.getLast().authorization()).isEqualTo("Bearer token-2");
        assertThat(api.requests).allSatisfy(r -> assertThat(r.body()).contains("\"jlxcfs.io/serving\":\"true\""));
    }

    @Test
    void removeSendsANullLabelAndCloseLeavesTheLabel() throws Exception {
        label = label("n1");
        label.apply();
        api.awaitRequests(1, T);
        label.close(); // a hand-over: nothing more is sent
        Thread.sleep(300);
        assertThat(api.requests).hasSize(1);

        label = label("n1");
        api.answer(500);
        label.remove(Duration.ofSeconds(10));
        // the first PATCH may be the background one if apply() was never called: here it was not, so both are removals
        assertThat(api.requests.subList(1, api.requests.size())).hasSize(2)
                .allSatisfy(r -> assertThat(r.body()).isEqualTo("{\"metadata\":{\"labels\":{\"jlxcfs.io/serving\":null}}}"));
    }

    @Test
    void aStillFailingApplyStopsWhenRemoved() throws Exception {
        api.answer(500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500);
        label = label("n1");
        label.apply();
        api.awaitRequests(2, T);
        label.remove(Duration.ofSeconds(10));
        int after = api.requests.size();
        Thread.sleep(500);
        assertThat(api.requests).as("the background retries ended").hasSize(after);
        assertThat(api.requests.getLast().body()).contains("null");
    }

    @Test
    void optionsNameWhatIsMissingOrWrong() {
        KubernetesOptions o = new KubernetesOptions();
        Map<String, String> none = Map.of();
        assertThat(o.refusal(none)).isEmpty();
        o.nodeLabel = true;
        assertThat(o.refusal(none)).contains("--node-label needs --node-name or the NODE_NAME environment variable");
        assertThat(o.refusal(Map.of("NODE_NAME", "Bad_Name"))).get().asString().startsWith("NODE_NAME must be a node name");
        assertThat(o.refusal(Map.of("NODE_NAME", "n1"))).get().asString().startsWith("--node-label needs the Kubernetes API");
        Map<String, String> pod = Map.of("NODE_NAME", "n1", "KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443");
        assertThat(o.refusal(pod)).isEmpty();
        assertThat(o.apiServer(pod)).hasToString("https://10.96.0.1:443");
        assertThat(o.apiServer(Map.of("KUBERNETES_SERVICE_HOST", "fd00::1", "KUBERNETES_SERVICE_PORT", "443")))
                .hasToString("https://[fd00::1]:443");
        o.nodeName = "node-2";
        assertThat(o.nodeName(pod)).isEqualTo("node-2");
        o.apiServer = "http://127.0.0.1:8080";
        assertThat(o.refusal(pod)).get().asString().startsWith("--api-server must be an https:// URL");
        o.apiServer = "https://127.0.0.1:6443";
        assertThat(o.refusal(none)).isEmpty();
        o.healthAddress = "::1";
        assertThat(o.refusal(none)).contains("--health-address needs --health-port");
        o.healthPort = 8090;
        assertThat(o.refusal(none)).isEmpty();
        assertThat(o.healthSocketAddress().getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
        o.healthPort = -1;
        assertThat(o.refusal(none)).contains("--health-port must be between 0 and 65535, got -1");
    }
}
