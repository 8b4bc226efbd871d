package org.jlxcfs.webhook.server;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import org.jlxcfs.webhook.tls.IdentityWatch;
import org.jlxcfs.webhook.tls.ServingIdentity;
import org.jlxcfs.webhook.tls.TlsContexts;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The webhook's two listeners: HTTPS (TLS 1.2 and 1.3) for AdmissionReviews, and plain HTTP for
 * probes and metrics. Each connection is served on its own virtual thread, TLS handshake included,
 * so a slow or stalled client holds only its own; {@link HttpServerTuning} closes it after a while.
 */
public final class WebhookServer implements AutoCloseable {
    static {
        HttpServerTuning.apply(); // before the JDK's server classes load: they read their limits once
    }

    private static final System.Logger LOG = System.getLogger("jlxcfs.webhook.server");

    /**
     * @param https        where to serve AdmissionReviews
     * @param metrics      where to serve /healthz, /readyz and /metrics; null for nowhere
     * @param maxBodyBytes the largest review accepted (413 beyond)
     * @param grace        how long a stop waits for reviews in flight
     */
    public record Settings(InetSocketAddress https, InetSocketAddress metrics, int maxBodyBytes, Duration grace) {
        public static Settings of(int httpsPort, int metricsPort) {
            return new Settings(new InetSocketAddress(httpsPort), metricsPort == 0 ? null : new InetSocketAddress(metricsPort),
                    AdmissionEndpoint.DEFAULT_MAX_BODY_BYTES, Duration.ofSeconds(5));
        }
    }

    private final Settings settings;
    private final Supplier<ServingIdentity> identities;
    private final ExecutorService httpsThreads = Executors.newVirtualThreadPerTaskExecutor();
    private final ExecutorService opsThreads = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpsServer https;
    private final HttpServer ops;
    private volatile boolean serving;
    private volatile boolean draining;
    private boolean stopped;

    private WebhookServer(Settings settings, Supplier<ServingIdentity> identities, HttpsServer https, HttpServer ops) {
        this.settings = settings;
        this.identities = identities;
        this.https = https;
        this.ops = ops;
    }

    /**
     * Binds both ports and serves. {@code identities} may have no identity yet (self-managed
     * certificates still being made): handshakes then fail and /readyz answers 503 until it has.
     */
    public static WebhookServer start(Settings settings, Supplier<ServingIdentity> identities, Reviewer reviewer,
                                      WebhookMetrics metrics) throws IOException {
        Supplier<ServingIdentity> watched = new IdentityWatch(identities, metrics::identityChanged);
        SSLContext tls;
        try {
            tls = TlsContexts.server(watched);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
        SSLParameters parameters = TlsContexts.serverParameters(tls);
        HttpServer ops = null;
        HttpsServer https = null;
        WebhookServer server = null;
        try {
            if (settings.metrics() != null) ops = HttpServer.create(settings.metrics(), 64);
            https = HttpsServer.create(settings.https(), 256);
            server = new WebhookServer(settings, watched, https, ops);
            https.setHttpsConfigurator(new HttpsConfigurator(tls) {
                @Override
                public void configure(HttpsParameters p) {
                    p.setSSLParameters(parameters);
                }
            });
            https.createContext("/", new AdmissionEndpoint(reviewer, metrics, settings.maxBodyBytes()));
            https.setExecutor(server.httpsThreads);
            if (ops != null) {
                ops.createContext("/", new OpsEndpoints(server::ready, metrics));
                ops.setExecutor(server.opsThreads);
                ops.start();
            }
            https.start();
            server.serving = true;
            watched.get(); // the expiry gauge from the start, not from the first handshake
            return server;
        } catch (IOException | RuntimeException e) {
            if (ops != null) ops.stop(0);
            if (https != null) https.stop(0);
            if (server != null) {
                server.httpsThreads.shutdownNow();
                server.opsThreads.shutdownNow();
            }
            if (e instanceof java.net.BindException) {
                throw new IOException("cannot listen on port " + settings.https().getPort()
                        + (settings.metrics() == null ? "" : " or " + settings.metrics().getPort()) + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /** A serving identity is loaded, the HTTPS listener accepts, and no stop is coming. */
    public boolean ready() {
        return serving && !draining && identities.get() != null;
    }

    /** A stop is coming: /readyz fails from now on, reviews are still answered. */
    public void drain() {
        draining = true;
    }

    public InetSocketAddress httpsAddress() {
        return https.getAddress();
    }

    /** Null when the metrics port is off. */
    public InetSocketAddress metricsAddress() {
        return ops == null ? null : ops.getAddress();
    }

    /**
     * Stops accepting, lets the reviews in flight finish (within the grace period), then closes
     * every connection and the metrics port.
     */
    @Override
    public synchronized void close() {
        if (stopped) return;
        stopped = true;
        serving = false;
        long start = System.nanoTime();
        https.stop((int) Math.max(1, settings.grace().toSeconds()));
        if (ops != null) ops.stop(0);
        httpsThreads.shutdownNow();
        opsThreads.shutdownNow();
        LOG.log(System.Logger.Level.INFO, "stopped serving after " + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms");
    }
}
