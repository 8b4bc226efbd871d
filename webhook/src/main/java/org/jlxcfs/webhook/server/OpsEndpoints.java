package org.jlxcfs.webhook.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * The plain-HTTP port: {@code /healthz} (the process answers), {@code /readyz} (a serving
 * certificate is loaded and the HTTPS listener is up) and {@code /metrics} (Prometheus text).
 */
final class OpsEndpoints implements HttpHandler {
    private final BooleanSupplier ready;
    private final WebhookMetrics metrics;

    OpsEndpoints(BooleanSupplier ready, WebhookMetrics metrics) {
        this.ready = ready;
        this.metrics = metrics;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().close(); // nothing is expected in it; up to 64 KiB is drained, beyond the connection closes
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                text(exchange, 405, "only GET is served here");
                return;
            }
            switch (exchange.getRequestURI().getPath()) {
                case "/healthz" -> text(exchange, 200, "ok");
                case "/readyz" -> {
                    if (ready.getAsBoolean()) text(exchange, 200, "ready");
                    else text(exchange, 503, "not ready: no serving certificate yet, or the HTTPS listener is down");
                }
                case "/metrics" -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
                    metrics.writeTo(out);
                    exchange.getResponseHeaders().set("Content-Type", metrics.contentType());
                    send(exchange, 200, out.toByteArray());
                }
                default -> text(exchange, 404, "no such endpoint: /healthz, /readyz and /metrics are served here");
            }
        }
    }

    private static void text(HttpExchange exchange, int status, String message) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        send(exchange, status, (message + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        boolean head = exchange.getRequestMethod().equals("HEAD");
        if (head) exchange.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
