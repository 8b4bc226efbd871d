package org.jlxcfs.webhook.certs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.fge.jsonpatch.JsonPatch;
import com.github.fge.jsonpatch.JsonPatchException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A small Kubernetes API over real TLS for the tests: Secrets (GET, POST, PUT with resourceVersion
 * conflicts) and MutatingWebhookConfigurations (GET, JSON Patch applied by an independent library).
 * It records every request, can answer a chosen status instead, and can run a hook before a request
 * (to play another replica that writes first).
 */
final class FakeApiServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRETS = "/api/v1/namespaces/%s/secrets";
    private static final String CONFIGURATIONS = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/";

    record Request(String method, String path, String contentType, String authorization, JsonNode body) {}

    private final HttpsServer server;
    private final Map<String, ObjectNode> objects = new ConcurrentHashMap<>();
    private final List<Request> requests = new ArrayList<>();
    private final Map<String, Deque<Integer>> forced = new ConcurrentHashMap<>();
    private final Map<String, Deque<Consumer<FakeApiServer>>> hooks = new ConcurrentHashMap<>();
    private final AtomicLong version = new AtomicLong(100);
    private final X509Certificate ca;

    FakeApiServer() throws Exception {
        var issuer = new CertificateIssuer();
        var names = new ServiceNames("localhost", "test");
        var caIssued = issuer.issueCa(names, Instant.now());
        var serving = issuer.issueServing(names, caIssued, Instant.now());
        this.ca = caIssued.certificate();
        var store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        char[] password = "test".toCharArray();
        store.setKeyEntry("api", serving.key(), password, new X509Certificate[] {serving.certificate(), ca});
        var keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        var context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(context));
        server.createContext("/", this::handle);
        server.start();
    }

    URI uri() {
        return URI.create("https://localhost:" + server.getAddress().getPort());
    }

    /** Writes {@code token} and the server's {@code ca.crt} into {@code dir}, as a service account mount has them. */
    void writeServiceAccount(Path dir, String token) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("token"), token);
        Files.writeString(dir.resolve("ca.crt"), Pem.certificates(List.of(ca)));
    }

    static String secretPath(String namespace, String name) {
        return SECRETS.formatted(namespace) + "/" + name;
    }

    static String configurationPath(String name) {
        return CONFIGURATIONS + name;
    }

    void put(String path, ObjectNode object) {
        var copy = object.deepCopy();
        copy.withObjectProperty("metadata").put("resourceVersion", Long.toString(version.incrementAndGet()));
        objects.put(path, copy);
    }

    ObjectNode object(String path) {
        var object = objects.get(path);
        return object == null ? null : object.deepCopy();
    }

    void remove(String path) {
        objects.remove(path);
    }

    /** The next request {@code "METHOD path"} is answered with {@code status}, once per call of this method. */
    void force(String methodAndPath, int status) {
        forced.computeIfAbsent(methodAndPath, k -> new ArrayDeque<>()).add(status);
    }

    /** Before the next request {@code "METHOD path"} is handled, {@code hook} runs. */
    void before(String methodAndPath, Consumer<FakeApiServer> hook) {
        hooks.computeIfAbsent(methodAndPath, k -> new ArrayDeque<>()).add(hook);
    }

    synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    long count(String method, String path) {
        return requests().stream().filter(r -> r.method().equals(method) && r.path().equals(path)).count();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            byte[] bytes = exchange.getRequestBody().readAllBytes();
            JsonNode body = bytes.length == 0 ? null : JSON.readTree(bytes);
            synchronized (this) {
                requests.add(new Request(method, path, exchange.getRequestHeaders().getFirst("Content-Type"),
                        exchange.getRequestHeaders().getFirst("Authorization"), body));
            }
            String key = method + " " + path;
            var hook = poll(hooks, key);
            if (hook != null) hook.accept(this);
            Integer status = poll(forced, key);
            if (status != null) {
                reply(exchange, status, status(status, "forced by the test"));
                return;
            }
            answer(exchange, method, path, body);
        }
    }

    private void answer(HttpExchange exchange, String method, String path, JsonNode body) throws IOException {
        switch (method) {
            case "GET" -> {
                var object = objects.get(path);
                if (object == null) reply(exchange, 404, status(404, "not found"));
                else reply(exchange, 200, object);
            }
            case "POST" -> {
                String name = body.path("metadata").path("name").asText();
                String target = path + "/" + name;
                if (objects.containsKey(target)) {
                    reply(exchange, 409, status(409, "secrets \"" + name + "\" already exists"));
                    return;
                }
                put(target, (ObjectNode) body);
                reply(exchange, 201, objects.get(target));
            }
            case "PUT" -> {
                var current = objects.get(path);
                if (current == null) {
                    reply(exchange, 404, status(404, "not found"));
                    return;
                }
                String sent = body.path("metadata").path("resourceVersion").asText();
                if (!sent.equals(current.path("metadata").path("resourceVersion").asText())) {
                    reply(exchange, 409, status(409, "the object has been modified; please apply your changes to the latest version"));
                    return;
                }
                put(path, (ObjectNode) body);
                reply(exchange, 200, objects.get(path));
            }
            case "PATCH" -> {
                var current = objects.get(path);
                if (current == null) {
                    reply(exchange, 404, status(404, "not found"));
                    return;
                }
                if (!"application/json-patch+json".equals(exchange.getRequestHeaders().getFirst("Content-Type"))) {
                    reply(exchange, 415, status(415, "unsupported patch type"));
                    return;
                }
                try {
                    var patched = JsonPatch.fromJson(body).apply(current);
                    put(path, (ObjectNode) patched);
                    reply(exchange, 200, objects.get(path));
                } catch (JsonPatchException | IOException e) {
                    reply(exchange, 422, status(422, e.getMessage()));
                }
            }
            default -> reply(exchange, 405, status(405, "method not allowed"));
        }
    }

    private static <T> T poll(Map<String, Deque<T>> queues, String key) {
        var queue = queues.get(key);
        return queue == null ? null : queue.poll();
    }

    private static ObjectNode status(int code, String message) {
        var status = JSON.createObjectNode().put("kind", "Status").put("apiVersion", "v1").put("status", "Failure")
                .put("message", message).put("code", code);
        return status;
    }

    private static void reply(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    String caBundleOf(String configuration, int webhook) {
        var node = objects.get(configurationPath(configuration)).path("webhooks").path(webhook).path("clientConfig").path("caBundle");
        return node.isMissingNode() ? null : new String(java.util.Base64.getDecoder().decode(node.asText()), StandardCharsets.US_ASCII);
    }
}
