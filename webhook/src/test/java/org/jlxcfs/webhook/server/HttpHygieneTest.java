package org.jlxcfs.webhook.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLSocket;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad requests over real TLS: each gets its 4xx (never a 5xx) and the server keeps serving. */
class HttpHygieneTest {
    private static TestServer server;
    private static HttpClient client;

    @BeforeAll
    static void start() throws IOException {
        FakeReviewer fake = new FakeReviewer();
        Reviewer breaksItsPromise = (path, body) -> {
            if (new String(body, StandardCharsets.UTF_8).contains("throw")) throw new IllegalStateException("boom");
            if (new String(body, StandardCharsets.UTF_8).contains("null-answer")) return null;
            return fake.review(path, body);
        };
        server = new TestServer(TestServer.CA.issue("webhook").identity(), breaksItsPromise, null);
        client = TestServer.client(TestServer.CA);
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        if (server != null) server.close();
    }

    private static void stillServes() throws Exception {
        var ok = server.review(client, "still-serving");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("still-serving");
    }

    @Test
    void truncatedOrEmptyJsonGetsTheReviewersAnswer() throws Exception {
        String review = FakeReviewer.review("t");
        for (String body : new String[] {review.substring(0, review.length() / 2), "", "{", "[]", "\u0000\u00ff"}) {
            var r = server.post(client, "/mutate", "application/json", body);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
        }
        stillServes();
    }

    @Test
    void contentTypeMustBeJsonParametersAllowed() throws Exception {
        String review = FakeReviewer.review("ct");
        assertThat(server.post(client, "/mutate", "text/plain", review).statusCode()).isEqualTo(415);
        assertThat(server.post(client, "/mutate", "application/jsonx", review).statusCode()).isEqualTo(415);
        assertThat(server.post(client, "/mutate", "application/json; charset=utf-8", review).statusCode()).isEqualTo(200);
        assertThat(server.post(client, "/mutate", "Application/JSON", review).statusCode()).isEqualTo(200);
        var noType = client.send(HttpRequest.newBuilder(server.https("/mutate"))
                .POST(HttpRequest.BodyPublishers.ofString(review)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noType.statusCode()).isEqualTo(415);
        assertThat(server.ops("GET", "/metrics").body())
                .contains("jlxcfs_webhook_admissions_total{outcome=\"invalid\",reason=\"wrong-content-type\"}");
    }

    @Test
    void wrongMethodAndUnknownPaths() throws Exception {
        var get = client.send(HttpRequest.newBuilder(server.https("/mutate")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
        for (String path : new String[] {"/", "/validate", "/mutate/", "/mutate/opt-in/x", "/healthz"}) {
            assertThat(server.post(client, path, "application/json", FakeReviewer.review("p")).statusCode()).as(path).isEqualTo(404);
        }
        var optIn = server.post(client, "/mutate/opt-in", "application/json", FakeReviewer.review("opt-in"));
        assertThat(optIn.statusCode()).isEqualTo(200);
        String metrics = server.ops("GET", "/metrics").body();
        assertThat(metrics).contains("reason=\"wrong-method\"", "reason=\"unknown-path\"",
                "jlxcfs_webhook_admissions_total{outcome=\"skipped\",reason=\"not-opted-in\"}");
    }

    @Test
    void aBodyOverTheLimitIs413WithoutBeingRead() throws Exception {
        // declared too large: answered from the headers, the body never sent
        try (SSLSocket s = server.handshake(TestServer.CA)) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(statusLine(s)).isEqualTo("HTTP/1.1 413 Request Entity Too Large");
        }
        // chunked, no length: read up to the limit only
        try (SSLSocket s = server.handshake(TestServer.CA)) {
            OutputStream out = s.getOutputStream();
            out.write("POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[8192];
            java.util.Arrays.fill(chunk, (byte) ' ');
            for (int i = 0; i < 9; i++) { // 72 KiB, over the test server's 64 KiB
                out.write("2000\r\n".getBytes(StandardCharsets.US_ASCII));
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            assertThat(statusLine(s)).isEqualTo("HTTP/1.1 413 Request Entity Too Large");
        }
        // the JDK client's own way: a 413, or the connection closed under its upload
        try {
            var r = server.post(client, "/mutate", "application/json", " ".repeat(1 << 20));
            assertThat(r.statusCode()).isEqualTo(413);
        } catch (IOException closedWhileSending) {
            // acceptable: the server stopped reading after its answer
        }
        assertThat(server.post(client, "/mutate", "application/json", " ".repeat(60 * 1024) + FakeReviewer.review("big-ok"))
                .statusCode()).as("under the limit").isEqualTo(200);
        stillServes();
        assertThat(server.ops("GET", "/metrics").body()).contains("reason=\"too-large\"");
    }

    @Test
    void aReviewerThatThrowsOrGivesNothingIsA400NotA5xx() throws Exception {
        assertThat(server.post(client, "/mutate", "application/json", "{\"throw\":1}").statusCode()).isEqualTo(400);
        assertThat(server.post(client, "/mutate", "application/json", "{\"null-answer\":1}").statusCode()).isEqualTo(400);
        stillServes();
        assertThat(server.ops("GET", "/metrics").body()).contains("reason=\"handler-error\"");
    }

    @Test
    void garbageOnTheWireClosesOnlyThatConnection() throws Exception {
        try (SSLSocket s = server.handshake(TestServer.CA)) {
            s.getOutputStream().write("NONSENSE\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String line = statusLine(s);
            assertThat(line).startsWith("HTTP/1.1 4");
        }
        try (var plain = new java.net.Socket("127.0.0.1", server.server.httpsAddress().getPort())) {
            plain.getOutputStream().write("POST /mutate HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            plain.setSoTimeout(5000);
            // not TLS: the server answers with an alert or closes; either way not with HTTP
            byte[] b = plain.getInputStream().readNBytes(5);
            assertThat(new String(b, StandardCharsets.ISO_8859_1)).doesNotStartWith("HTTP");
        }
        stillServes();
    }

    @Test
    void refusalsAndReviewsTakeTurnsOnOneKeptConnection() throws Exception {
        // a refusal answered before its body was read must not leave the connection out of step
        try (HttpClient one = TestServer.client(TestServer.CA)) {
            String review = FakeReviewer.review("turns");
            for (int i = 0; i < 150; i++) {
                var refused = one.send(HttpRequest.newBuilder(server.https(i % 3 == 0 ? "/nope" : "/mutate"))
                        .timeout(Duration.ofSeconds(5)).header("Content-Type", i % 3 == 1 ? "text/plain" : "application/json")
                        .method(i % 3 == 2 ? "PUT" : "POST", HttpRequest.BodyPublishers.ofString(review)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).isIn(404, 405, 415);
                assertThat(server.post(one, "/mutate", "application/json", review).statusCode()).isEqualTo(200);
            }
        }
    }

    private static String statusLine(SSLSocket s) throws IOException {
        s.setSoTimeout((int) Duration.ofSeconds(5).toMillis());
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1)).readLine();
    }

}
