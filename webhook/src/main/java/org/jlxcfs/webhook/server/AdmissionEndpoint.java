package org.jlxcfs.webhook.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import org.jlxcfs.webhook.admission.AdmissionHandler.Answer;
import org.jlxcfs.webhook.admission.Outcome;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * {@code POST /mutate} and {@code POST /mutate/opt-in}: checks the HTTP request (method, path,
 * Content-Type, size) and hands the body to the {@link Reviewer}. What is refused gets a 4xx with
 * a one-line reason, never a 5xx, and counts as outcome {@code invalid}; the API server then
 * applies the webhook's {@code failurePolicy: Ignore} and the pod goes through.
 */
final class AdmissionEndpoint implements HttpHandler {
    private static final System.Logger LOG = System.getLogger("jlxcfs.webhook.server");
    static final Set<String> PATHS = Set.of("/mutate", "/mutate/opt-in");
    /**
     * Kubernetes objects are at most about 1.5 MiB (etcd's request limit) and an UPDATE review
     * carries the object and the old object: 4 MiB leaves room and bounds what one request holds.
     */
    static final int DEFAULT_MAX_BODY_BYTES = 4 << 20;

    private final Reviewer reviewer;
    private final WebhookMetrics metrics;
    private final int maxBodyBytes;

    AdmissionEndpoint(Reviewer reviewer, WebhookMetrics metrics, int maxBodyBytes) {
        this.reviewer = reviewer;
        this.metrics = metrics;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        long start = System.nanoTime();
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (path == null || !PATHS.contains(path)) {
                refuse(exchange, start, 404, "unknown-path", "no such endpoint: POST AdmissionReviews to /mutate or /mutate/opt-in");
                return;
            }
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.getResponseHeaders().set("Allow", "POST");
                refuse(exchange, start, 405, "wrong-method", "only POST is served here");
                return;
            }
            if (!isJson(exchange.getRequestHeaders().getFirst("Content-Type"))) {
                refuse(exchange, start, 415, "wrong-content-type", "an AdmissionReview is sent as application/json");
                return;
            }
            byte[] body = readBody(exchange);
            if (body == null) {
                // the rest is not read: the connection is closed after the answer
                exchange.getResponseHeaders().set("Connection", "close");
                refuse(exchange, start, 413, "too-large", "a review is at most " + maxBodyBytes + " bytes");
                return;
            }
            Answer answer = review(path, body);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            send(exchange, answer.status(), answer.json());
            metrics.admission(answer.outcome(), answer.reason(), System.nanoTime() - start);
        } catch (IOException e) {
            // the client went away or was too slow (the server closed it); nothing to answer
            metrics.admission(Outcome.INVALID, "connection-lost", System.nanoTime() - start);
            throw e;
        }
    }

    /** The reviewer's answer; if it broke its promise and threw, a 400 (no uid to echo, so no AdmissionReview). */
    private Answer review(String path, byte[] body) {
        try {
            Answer a = reviewer.review(path, body);
            if (a != null && a.json() != null && a.outcome() != null && a.status() >= 200 && a.status() < 500) return a;
            LOG.log(Level.ERROR, "the admission handler gave an unusable answer for " + path + ": " + a);
        } catch (RuntimeException | StackOverflowError e) { // a pathological body must not cost the connection
            LOG.log(Level.ERROR, "the admission handler failed on a review posted to " + path, e);
        }
        return new Answer(400, "{\"error\":\"the review could not be handled\"}".getBytes(StandardCharsets.UTF_8),
                Outcome.INVALID, "handler-error");
    }

    /** The body, or null if it is longer than the limit (only so much of it is read). */
    private byte[] readBody(HttpExchange exchange) throws IOException {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            try {
                if (Long.parseLong(declared.strip()) > maxBodyBytes) return null;
            } catch (NumberFormatException e) {
                return null; // the JDK refuses malformed lengths before us; be safe anyway
            }
        }
        InputStream in = exchange.getRequestBody();
        byte[] body = in.readNBytes(maxBodyBytes + 1);
        return body.length > maxBodyBytes ? null : body;
    }

    static boolean isJson(String contentType) {
        if (contentType == null) return false;
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip();
        return type.toLowerCase(Locale.ROOT).equals("application/json");
    }

    private void refuse(HttpExchange exchange, long start, int status, String reason, String message) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        send(exchange, status, (message + "\n").getBytes(StandardCharsets.UTF_8));
        metrics.admission(Outcome.INVALID, reason, System.nanoTime() - start);
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
