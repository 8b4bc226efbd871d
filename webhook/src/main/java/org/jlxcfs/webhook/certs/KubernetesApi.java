package org.jlxcfs.webhook.certs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The few Kubernetes REST calls the certificates need, over the JDK's HTTP client, as JSON trees.
 * The bearer token is read again for every call because projected service-account tokens rotate; the
 * API server is trusted through the service account's {@code ca.crt} when there is one.
 */
final class KubernetesApi implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Kept short: the webhook waits on these calls at start, and a check must not hang until the next one. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final URI base;
    private final Duration requestTimeout;
    private final Path tokenFile;
    private final HttpClient client;

    /** The answer: its HTTP status and its body (a missing node when it was not JSON). */
    record Response(int status, JsonNode body) {
        boolean ok() {
            return status / 100 == 2;
        }

        String message() {
            return body.path("message").asText("");
        }
    }

    KubernetesApi(URI apiServer, Path serviceAccountDir) {
        this(apiServer, serviceAccountDir, REQUEST_TIMEOUT);
    }

    KubernetesApi(URI apiServer, Path serviceAccountDir, Duration requestTimeout) {
        this.requestTimeout = requestTimeout;
        if (!"https".equalsIgnoreCase(apiServer.getScheme())) {
            throw new IllegalArgumentException("the Kubernetes API must be reached over https (it receives the service account token): " + apiServer);
        }
        String text = apiServer.toString();
        this.base = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        this.tokenFile = serviceAccountDir.resolve("token");
        this.client = HttpClient.newBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .sslContext(ClusterTrust.sslContext(serviceAccountDir.resolve("ca.crt")))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    Response get(String path, String object) throws ApiException {
        return send("GET", path, null, null, object);
    }

    Response post(String path, JsonNode body, String object) throws ApiException {
        return send("POST", path, "application/json", body, object);
    }

    Response put(String path, JsonNode body, String object) throws ApiException {
        return send("PUT", path, "application/json", body, object);
    }

    Response jsonPatch(String path, JsonNode patch, String object) throws ApiException {
        return send("PATCH", path, "application/json-patch+json", patch, object);
    }

    private Response send(String method, String path, String contentType, JsonNode body, String object) throws ApiException {
        var request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(requestTimeout)
                .header("Accept", "application/json");
        String token = token(object);
        if (token != null) request.header("Authorization", "Bearer " + token);
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", contentType);
            request.method(method, HttpRequest.BodyPublishers.ofByteArray(toBytes(body)));
        }
        try {
            HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Response(response.statusCode(), parse(response.body()));
        } catch (HttpTimeoutException e) {
            throw new ApiException(method + " " + object, 0, "timed out after " + requestTimeout.toMillis() / 1000.0 + " s", e);
        } catch (IOException e) {
            throw new ApiException(method + " " + object, 0, e.toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(method + " " + object, 0, "interrupted", e);
        }
    }

    @Override
    public void close() {
        client.shutdownNow();
    }

    private String token(String object) throws ApiException {
        try {
            String token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
            return token.isEmpty() ? null : token;
        } catch (NoSuchFileException e) {
            return null; // an API server given by hand, outside a cluster: no token to send
        } catch (IOException e) {
            throw new ApiException(object, 0, "cannot read the service account token " + tokenFile + ": " + e.getMessage(), e);
        }
    }

    private static byte[] toBytes(JsonNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e); // a tree always serialises
        }
    }

    private static JsonNode parse(byte[] body) {
        try {
            JsonNode node = body.length == 0 ? null : JSON.readTree(body);
            return node == null ? MissingNode.getInstance() : node;
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }
}
