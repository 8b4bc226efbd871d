package org.jlxcfs.daemon.health;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Plain-HTTP probes and metrics for a kubelet and Prometheus: {@code GET /healthz} (200 while the
 * process works), {@code /readyz} (200 only while it serves the mount) and {@code /metrics}. Every
 * answer comes from {@link ServingState}; nothing here touches the mount, so a hung FUSE request can
 * never fail a probe and get a healthy daemon killed.
 */
public final class HealthServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jlxcfs");

    /**
     * Limits of the JDK's HTTP server, read once when its classes load (a value given on the command
     * line wins): a client that connects and stalls is dropped after 5 s, and a flood of connections
     * is refused beyond 64, so neither can hold memory or keep the kubelet's probes waiting.
     */
    private static final Map<String, String> LIMITS = Map.of(
            "sun.net.httpserver.maxReqTime", "5",
            "sun.net.httpserver.maxRspTime", "5",
            "sun.net.httpserver.clockTick", "1000",
            "sun.net.httpserver.idleInterval", "30",
            "jdk.httpserver.maxConnections", "64");

    private final HttpServer server;
    private final ExecutorService executor;
    private final ServingState state;
    private final String version;

    private HealthServer(HttpServer server, ExecutorService executor, ServingState state, String version) {
        this.server = server;
        this.executor = executor;
        this.state = state;
        this.version = version;
    }

    /** Listens at {@code address} (port 0: any free one, see {@link #port}); the message of a failure names it. */
    public static HealthServer start(InetSocketAddress address, ServingState state, String version) throws IOException {
        LIMITS.forEach((k, v) -> {
            if (System.getProperty(k) == null) System.setProperty(k, v);
        });
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new IOException("cannot listen on " + address.getHostString() + ":" + address.getPort()
                    + " (--health-port, --health-address): " + e.getMessage(), e);
        }
        // one virtual thread per exchange: a client that sends its request slowly parks a virtual thread,
        // never one of a small pool the kubelet's probes would queue behind
        ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("health-http-", 0).factory());
        HealthServer health = new HealthServer(server, executor, state, version);
        server.createContext("/", health::handle);
        server.setExecutor(executor);
        server.start();
        LOG.log(System.Logger.Level.INFO, "health endpoint on http://" + address.getHostString() + ":" + health.port()
                + " (/healthz, /readyz, /metrics)");
        return health;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().close();
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                send(exchange, 405, "text/plain; charset=utf-8", "only GET is served here\n");
                return;
            }
            switch (exchange.getRequestURI().getPath()) {
                case "/healthz" -> send(exchange, 200, "text/plain; charset=utf-8", "ok\n");
                case "/readyz" -> {
                    ServingState.Phase phase = state.phase();
                    boolean serving = phase == ServingState.Phase.SERVING;
                    send(exchange, serving ? 200 : 503, "text/plain; charset=utf-8",
                            serving ? "serving\n" : "not serving: " + phase.name().toLowerCase(java.util.Locale.ROOT) + "\n");
                }
                case "/metrics" -> send(exchange, 200, MetricsText.CONTENT_TYPE, MetricsText.render(state, version));
                default -> send(exchange, 404, "text/plain; charset=utf-8", "not found: /healthz, /readyz and /metrics are served here\n");
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String contentType, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.getResponseHeaders().set("Content-Type", contentType);
        if (head) exchange.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Stops listening at once: the process is exiting, and a probe that then fails is the truth. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
