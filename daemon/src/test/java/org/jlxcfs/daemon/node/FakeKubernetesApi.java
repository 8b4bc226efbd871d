package org.jlxcfs.daemon.node;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.jlxcfs.fuse.testing.Run;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A Kubernetes API server for the node label, over HTTPS with a throwaway self-signed certificate
 * (made by keytool), with a service account directory ({@code token}, {@code ca.crt}) that trusts
 * it. It records every request and answers from a queue of statuses (then 200).
 */
public final class FakeKubernetesApi implements AutoCloseable {
    /** One request as the server saw it. */
    public record Request(String method, String path, String contentType, String authorization, String body) {}

    private static final String PASSWORD = "changeit";
    private final HttpsServer server;
    public final Path serviceAccountDir;
    public final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Queue<Integer> statuses = new ConcurrentLinkedQueue<>();

    public FakeKubernetesApi(Path dir) throws Exception {
        Path keystore = dir.resolve("api.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Duration t = Duration.ofSeconds(60);
        Run.cmd(t, keytool, "-genkeypair", "-alias", "api", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-keystore", keystore.toString(), "-storetype", "PKCS12",
                "-storepass", PASSWORD, "-keypass", PASSWORD).requireSuccess();
        serviceAccountDir = Files.createDirectories(dir.resolve("serviceaccount"));
        Run.cmd(t, keytool, "-exportcert", "-rfc", "-alias", "api", "-keystore", keystore.toString(), "-storepass", PASSWORD,
                "-file", serviceAccountDir.resolve("ca.crt").toString()).requireSuccess();
        token("token-1");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD.toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            try (exchange) {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                        exchange.getRequestHeaders().getFirst("Content-Type"),
                        exchange.getRequestHeaders().getFirst("Authorization"), body));
                Integer queued = statuses.poll();
                int status = queued == null ? 200 : queued;
                byte[] answer = (status == 200 ? "{\"kind\":\"Node\"}"
                        : "{\"kind\":\"Status\",\"message\":\"fake failure " + status + "\"}").getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(status, answer.length);
                exchange.getResponseBody().write(answer);
            }
        });
        server.start();
    }

    public URI uri() {
        return URI.create("https://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The next answers' statuses, in order (then 200 again). */
    public void answer(Integer... next) {
        statuses.addAll(List.of(next));
    }

    /** Rotates the service account token, as the kubelet does. */
    public void token(String token) throws Exception {
        Files.writeString(serviceAccountDir.resolve("token"), token + "\n");
    }

    /** Waits until {@code n} requests arrived. */
    public void awaitRequests(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (requests.size() < n) {
            if (System.nanoTime() > deadline) throw new AssertionError("only " + requests.size() + " of " + n + " requests: " + requests);
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
