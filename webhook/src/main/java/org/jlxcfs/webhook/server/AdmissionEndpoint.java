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
import java.util.concurrent.atomic.AtomicLong;
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

    /**
     * Room for two maximal reviews at once: a 4 MiB review parses into a tree of about 40 MiB,
     * and the heap is 160 MiB (bin/jlxcfs).
     */
    static final int BODY_BUDGET_BYTES = 2 * DEFAULT_MAX_BODY_BYTES;
    /**
     * Bodies up to this size (most pods' reviews are a few KiB) do not count against the budget, so a
     * few slow uploads of large ones cannot hold up the others. The connection limit (512) bounds them:
     * at most 4 MiB of small bodies, about 40 MiB parsed, beside the budget's 80 MiB, within the heap.
     * Larger realistic reviews simply take room in the budget (hundreds fit).
     */
    static final int SMALL_BODY_BYTES = 8 * 1024;
    /** How long a review waits for room in the budget before a 429 (the API server's timeout is a few seconds). */
    private static final long BUDGET_WAIT_MILLIS = 1000;

    private final Reviewer reviewer;
    private final WebhookMetrics metrics;
    private final int maxBodyBytes;
    private final BodyBudget budget;
    private final AtomicLong lastFailureLogged = new AtomicLong();

    AdmissionEndpoint(Reviewer reviewer, WebhookMetrics metrics, int maxBodyBytes) {
        this.reviewer = reviewer;
        this.metrics = metrics;
        this.maxBodyBytes = maxBodyBytes;
        this.budget = new BodyBudget(Math.max(BODY_BUDGET_BYTES, maxBodyBytes));
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
            long declared = declaredLength(exchange);
            if (declared > maxBodyBytes) {
                tooLarge(exchange, start);
                return;
            }
            int reserved = declared < 0 ? maxBodyBytes : declared <= SMALL_BODY_BYTES ? 0 : (int) declared;
            if (reserved > 0 && !budget.acquire(reserved, BUDGET_WAIT_MILLIS)) {
                exchange.getResponseHeaders().set("Connection", "close");
                exchange.getResponseHeaders().set("Retry-After", "1");
                refuse(exchange, start, 429, "overloaded", "too many large reviews at once; try again");
                return;
            }
            Answer answer;
            try {
                byte[] body = exchange.getRequestBody().readNBytes(maxBodyBytes + 1);
                if (body.length > maxBodyBytes) {
                    tooLarge(exchange, start);
                    return;
                }
                answer = review(path, body);
            } finally {
                if (reserved > 0) budget.release(reserved);
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            count(exchange, start, answer.outcome(), answer.reason());
            send(exchange, answer.status(), answer.json());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the server is stopping
        } catch (IOException e) {
            // the client went away or was too slow (the server closed it); nothing to answer
            if (exchange.getAttribute(COUNTED) == null) metrics.admission(Outcome.INVALID, "connection-lost", System.nanoTime() - start);
            throw e;
        }
    }

    private static final String COUNTED = "jlxcfs.counted";

    /**
     * Counts an answer before it is sent: a client that has its answer finds it in /metrics
     * (counted after, a scrape right after the answer could miss it). Once per exchange.
     */
    private void count(HttpExchange exchange, long start, Outcome outcome, String reason) {
        exchange.setAttribute(COUNTED, Boolean.TRUE);
        metrics.admission(outcome, reason, System.nanoTime() - start);
    }

    /** The reviewer's answer; if it broke its promise and threw, a 400 (no uid to echo, so no AdmissionReview). */
    private Answer review(String path, byte[] body) {
        try {
            Answer a = reviewer.review(path, body);
            if (a != null && a.json() != null && a.outcome() != null && a.status() >= 200 && a.status() < 500) return a;
            LOG.log(Level.ERROR, "the admission handler gave an unusable answer for " + path + ": " + a);
        } catch (RuntimeException | StackOverflowError e) { // a pathological body must not cost the connection
            // with its stack trace at most once a minute: a handler bug hit by every review must not flood the log
            long now = System.nanoTime();
            long last = lastFailureLogged.get();
            boolean trace = last == 0 || now - last > 60_000_000_000L;
            if (trace && lastFailureLogged.compareAndSet(last, now)) {
                LOG.log(Level.ERROR, "the admission handler failed on a review posted to " + path, e);
            } else {
                LOG.log(Level.ERROR, "the admission handler failed on a review posted to " + path + ": " + e);
            }
        }
        return new Answer(400, "{\"error\":\"the review could not be handled\"}".getBytes(StandardCharsets.UTF_8),
                Outcome.INVALID, "handler-error");
    }

    /** The Content-Length, or -1 when the body is chunked (or the length unreadable: the JDK refuses those first). */
    private static long declaredLength(HttpExchange exchange) {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared == null) return -1;
        try {
            return Long.parseLong(declared.strip());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The rest of the body is never read: the connection is closed after the answer. */
    private void tooLarge(HttpExchange exchange, long start) throws IOException {
        exchange.getResponseHeaders().set("Connection", "close");
        refuse(exchange, start, 413, "too-large", "a review is at most " + maxBodyBytes + " bytes");
    }

    /**
     * Before a refusal: a small body is read and dropped, so the connection stays usable for the
     * next request (answering before the body is read leaves the two ends out of step on a kept
     * connection); any other is left unread and the connection closed after the answer.
     */
    private static void settleBody(HttpExchange exchange) throws IOException {
        long declared = declaredLength(exchange);
        if (declared >= 0 && declared <= SMALL_BODY_BYTES) {
            exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
        } else {
            exchange.getResponseHeaders().set("Connection", "close");
        }
    }

    static boolean isJson(String contentType) {
        if (contentType == null) return false;
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip();
        return type.toLowerCase(Locale.ROOT).equals("application/json");
    }

    private void refuse(HttpExchange exchange, long start, int status, String reason, String message) throws IOException {
        settleBody(exchange);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        count(exchange, start, Outcome.INVALID, reason);
        send(exchange, status, (message + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
