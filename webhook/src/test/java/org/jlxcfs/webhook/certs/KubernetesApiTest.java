package org.jlxcfs.webhook.certs;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The API client's failures: each names the call and object, and says whether it is worth retrying. */
class KubernetesApiTest {
    private static final String PATH = FakeApiServer.secretPath("ns", "s");

    @TempDir
    Path temp;
    private FakeApiServer server;
    private KubernetesApi api;

    @BeforeEach
    void setUp() throws Exception {
        server = new FakeApiServer();
        server.writeServiceAccount(temp, "t");
    }

    @AfterEach
    void tearDown() {
        if (api != null) api.close();
        server.close();
    }

    @Test
    void aSlowAnswerTimesOutAsARetryableErrorNamingTheCall() {
        api = new KubernetesApi(server.uri(), temp, Duration.ofMillis(200));
        server.before("GET " + PATH, s -> sleep(Duration.ofMillis(1500)));
        assertThatThrownBy(() -> api.get(PATH, "Secret ns/s"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isZero();
                    assertThat(e.retryable()).isTrue();
                })
                .hasMessageContaining("GET Secret ns/s").hasMessageContaining("timed out");
    }

    @Test
    void anApiServerWithACertificateFromAnotherCaIsNotTrusted() throws Exception {
        var other = new CertificateIssuer().issueCa(new ServiceNames("localhost", "test"), Instant.now()).certificate();
        Files.writeString(temp.resolve("ca.crt"), Pem.certificates(List.of(other)));
        api = new KubernetesApi(server.uri(), temp);
        assertThatThrownBy(() -> api.get(PATH, "Secret ns/s"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isZero())
                .hasMessageContaining("GET Secret ns/s");
        assertThat(server.requests()).as("nothing reached the server, the token least of all").isEmpty();
    }

    @Test
    void noServerIsARetryableErrorNamingTheCall() throws Exception {
        int port;
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        api = new KubernetesApi(URI.create("https://localhost:" + port), temp);
        assertThatThrownBy(() -> api.get(PATH, "Secret ns/s"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.retryable()).isTrue())
                .hasMessageContaining("GET Secret ns/s: no answer");
    }

    @Test
    void statusesComeBackWithTheApisMessage() throws Exception {
        api = new KubernetesApi(server.uri(), temp);
        server.force("GET " + PATH, 401);
        var response = api.get(PATH, "Secret ns/s");
        assertThat(response.status()).isEqualTo(401);
        assertThat(response.message()).isEqualTo("forced by the test");
        var error = new ApiException("GET Secret ns/s", 401, response.message(), null);
        assertThat(error.retryable()).isFalse();
        assertThat(error).hasMessage("GET Secret ns/s: HTTP 401 (forced by the test); the service account token was refused");
        assertThat(new ApiException("x", 503, "", null).retryable()).isTrue();
        assertThat(new ApiException("x", 429, "", null).retryable()).isTrue();
        assertThat(new ApiException("x", 409, "", null).retryable()).isFalse();
    }

    @Test
    void aTrailingSlashInTheApiServerIsHarmless() throws Exception {
        api = new KubernetesApi(URI.create(server.uri() + "/"), temp);
        assertThat(api.get(PATH, "Secret ns/s").status()).isEqualTo(404);
        assertThat(server.requests().getFirst().path()).isEqualTo(PATH);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
