package org.jlxcfs.daemon.health;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The probes and metrics answer from the lifecycle alone, at once, whatever a slow client does. */
class HealthEndpointTest {
    private final ServingState state = new ServingState();
    private HealthServer server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        server = HealthServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), state, "1.2.3-\"test\"");
    }

    @AfterEach
    void stop() {
        server.close();
        http.close();
    }

    private HttpResponse<String> call(String method, String path) throws Exception {
        var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(5)).method(method, HttpRequest.BodyPublishers.noBody()).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void readinessFollowsTheLifecycleAndLivenessAlwaysAnswers() throws Exception {
        assertThat(call("GET", "/readyz").statusCode()).isEqualTo(503);
        assertThat(call("GET", "/readyz").body()).isEqualTo("not serving: starting\n");
        assertThat(call("GET", "/healthz").statusCode()).isEqualTo(200);
        state.enter(ServingState.Phase.SERVING);
        assertThat(call("GET", "/readyz").statusCode()).isEqualTo(200);
        state.enter(ServingState.Phase.HANDING_OVER);
        assertThat(call("GET", "/readyz")).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).isEqualTo("not serving: handing_over\n");
        });
        // a late "serving" (a race with a signal) never undoes a stop
        state.enter(ServingState.Phase.SERVING);
        assertThat(call("GET", "/readyz").statusCode()).isEqualTo(503);
        state.enter(ServingState.Phase.STOPPED);
        assertThat(call("GET", "/readyz").body()).isEqualTo("not serving: stopped\n");
        assertThat(call("GET", "/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void metricsAreValidPrometheusText() throws Exception {
        state.tookOver(ServingState.Takeover.RECOVERY);
        state.enter(ServingState.Phase.SERVING);
        HttpResponse<String> r = call("GET", "/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("text/plain; version=0.0.4; charset=utf-8");
        assertThat(r.body()).contains("jlxcfs_serving 1\n", "jlxcfs_takeovers_total{kind=\"recovery\"} 1\n",
                "jlxcfs_takeovers_total{kind=\"graceful\"} 0\n", "jlxcfs_takeovers_total{kind=\"systemd\"} 0\n",
                "jlxcfs_build_info{version=\"1.2.3-\\\"test\\\"\"} 1\n");
        // every line a comment (HELP/TYPE) or a sample: name{labels} value
        for (String line : r.body().lines().toList()) {
            assertThat(line).matches("# (HELP|TYPE) jlxcfs_\\w+ .+|jlxcfs_\\w+(\\{\\w+=\"(\\\\.|[^\"\\\\])*\"})? \\d+");
        }
        state.enter(ServingState.Phase.STOPPED);
        assertThat(call("GET", "/metrics").body()).contains("jlxcfs_serving 0\n");
    }

    @Test
    void otherPathsAndMethodsAreRefused() throws Exception {
        assertThat(call("GET", "/").statusCode()).isEqualTo(404);
        assertThat(call("GET", "/readyz/x").statusCode()).isEqualTo(404);
        HttpResponse<String> post = call("POST", "/readyz");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
        HttpResponse<String> head = call("HEAD", "/healthz");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void stalledClientsDoNotDelayProbes() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try {
            // more stalled requests than any small thread pool would have threads
            for (int i = 0; i < 24; i++) {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
                OutputStream out = s.getOutputStream();
                out.write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                stalled.add(s);
            }
            long t0 = System.nanoTime();
            assertThat(call("GET", "/healthz").statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        } finally {
            for (Socket s : stalled) s.close();
        }
    }

    @Test
    void aBusyPortIsNamedInTheError() throws Exception {
        var e = org.assertj.core.api.Assertions.catchThrowable(() ->
                HealthServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), state, "x"));
        assertThat(e).hasMessageContaining("cannot listen on").hasMessageContaining(":" + server.port())
                .hasMessageContaining("--health-port");
    }
}
