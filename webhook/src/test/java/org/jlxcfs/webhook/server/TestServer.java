package org.jlxcfs.webhook.server;

import org.jlxcfs.webhook.tls.ServingIdentity;
import org.jlxcfs.webhook.tls.TestPki;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/** A webhook server on ephemeral loopback ports with a test CA's certificate and the fake reviewer, and clients for it. */
final class TestServer implements AutoCloseable {
    static final TestPki.Ca CA = TestPki.newCa("server test CA");

    final AtomicReference<ServingIdentity> identity = new AtomicReference<>();
    final WebhookMetrics metrics = new WebhookMetrics();
    final WebhookServer server;

    TestServer(ServingIdentity initial) throws IOException {
        this(initial, new FakeReviewer(), null);
    }

    TestServer(ServingIdentity initial, Reviewer reviewer, Supplier<ServingIdentity> source) throws IOException {
        identity.set(initial);
        var settings = new WebhookServer.Settings(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                64 * 1024, Duration.ofSeconds(2));
        server = WebhookServer.start(settings, source != null ? source : identity::get, reviewer, metrics);
    }

    static TestServer withNewCertificate() throws IOException {
        return new TestServer(CA.issue("webhook").identity());
    }

    URI https(String path) {
        return URI.create("https://127.0.0.1:" + server.httpsAddress().getPort() + path);
    }

    URI ops(String path) {
        return URI.create("http://127.0.0.1:" + server.metricsAddress().getPort() + path);
    }

    /** An HTTP/1.1 client trusting only {@code ca}, restricted to {@code protocols} when given. */
    static HttpClient client(TestPki.Ca ca, String... protocols) {
        SSLContext context = TestPki.clientTrusting(ca.cert());
        SSLParameters p = context.getDefaultSSLParameters();
        if (protocols.length > 0) p.setProtocols(protocols);
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(context).sslParameters(p)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    HttpResponse<String> post(HttpClient client, String path, String contentType, String body)
            throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(https(path)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> review(HttpClient client, String uid) throws IOException, InterruptedException {
        return post(client, "/mutate", "application/json", FakeReviewer.review(uid));
    }

    HttpResponse<String> ops(String method, String path) throws IOException, InterruptedException {
        try (HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            return plain.send(HttpRequest.newBuilder(ops(path)).timeout(Duration.ofSeconds(10))
                    .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** A TLS socket that has completed its handshake, trusting {@code cas}, with a fresh context (no session resumption). */
    SSLSocket handshake(TestPki.Ca... cas) throws IOException {
        java.security.cert.X509Certificate[] certs = new java.security.cert.X509Certificate[cas.length];
        for (int i = 0; i < cas.length; i++) certs[i] = cas[i].cert();
        SSLSocket s = (SSLSocket) TestPki.clientTrusting(certs).getSocketFactory()
                .createSocket("127.0.0.1", server.httpsAddress().getPort());
        s.setSoTimeout(5000);
        s.startHandshake();
        return s;
    }

    @Override
    public void close() {
        server.close();
    }
}
