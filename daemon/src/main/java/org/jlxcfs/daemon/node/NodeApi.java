package org.jlxcfs.daemon.node;

import org.jlxcfs.webhook.certs.ClusterTrust;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The one Kubernetes call the daemon makes: a JSON merge patch of its Node, over the JDK's HTTP
 * client. The token is read again for every call (projected service-account tokens rotate); the
 * API server is trusted through the service account's {@code ca.crt} when there is one.
 */
final class NodeApi implements AutoCloseable {
    /** Where the kubelet mounts a pod's service account token and the cluster's CA. */
    static final Path SERVICE_ACCOUNT_DIR = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final URI base;
    private final Path tokenFile;
    private final HttpClient client;

    /** The answer: its status and, for a failure, the API's message (or the body's start). */
    record Answer(int status, String message) {
        boolean ok() {
            return status / 100 == 2;
        }
    }

    NodeApi(URI apiServer, Path serviceAccountDir) {
        String text = apiServer.toString();
        this.base = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        this.tokenFile = serviceAccountDir.resolve("token");
        this.client = HttpClient.newBuilder()
                .connectTimeout(TIMEOUT)
                .sslContext(ClusterTrust.sslContext(serviceAccountDir.resolve("ca.crt")))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** PATCH /api/v1/nodes/NODE with a JSON merge patch. */
    Answer mergePatchNode(String node, String patch) throws IOException, InterruptedException {
        var request = HttpRequest.newBuilder(URI.create(base + "/api/v1/nodes/" + URLEncoder.encode(node, StandardCharsets.UTF_8)))
                .timeout(TIMEOUT)
                .header("Accept", "application/json")
                .header("Content-Type", "application/merge-patch+json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(patch, StandardCharsets.UTF_8));
        String token = token();
        if (token != null) request.header("Authorization", "Bearer " + token);
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Answer(response.statusCode(), response.statusCode() / 100 == 2 ? "" : message(response.body()));
    }

    /** The "message" of a Kubernetes Status, else the body's first 200 characters. */
    static String message(String body) {
        var m = java.util.regex.Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(body);
        String text = m.find() ? m.group(1).replace("\\\"", "\"") : body.strip();
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    private String token() throws IOException {
        try {
            String token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
            return token.isEmpty() ? null : token;
        } catch (NoSuchFileException e) {
            return null; // an API server given by hand, outside a pod: no token to send
        }
    }

    @Override
    public void close() {
        client.shutdownNow();
    }
}
