package org.jlxcfs.daemon.node;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The label {@code jlxcfs.io/serving=true} on this daemon's Node while it serves, so that the
 * webhook's node selector schedules injected pods only where their files exist. Set in the
 * background with retries (serving never waits for the API server); taken away only when the
 * daemon stops and unmounts, never on a hand-over, where the next daemon serves on.
 */
public final class NodeLabel implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jlxcfs");
    public static final String KEY = "jlxcfs.io/serving";
    static final String SET = "{\"metadata\":{\"labels\":{\"" + KEY + "\":\"true\"}}}";
    /** In a JSON merge patch (RFC 7396) null removes the key. */
    static final String REMOVE = "{\"metadata\":{\"labels\":{\"" + KEY + "\":null}}}";

    private final NodeApi api;
    private final String node;
    private final Duration firstDelay;
    private final Duration maxDelay;
    private Thread applier;
    private volatile boolean labelled;

    NodeLabel(NodeApi api, String node, Duration firstDelay, Duration maxDelay) {
        this.api = api;
        this.node = node;
        this.firstDelay = firstDelay;
        this.maxDelay = maxDelay;
    }

    /** For Node {@code node} through the API at {@code apiServer}, with the service account in {@code serviceAccountDir}. */
    public static NodeLabel of(URI apiServer, Path serviceAccountDir, String node) {
        return new NodeLabel(new NodeApi(apiServer, serviceAccountDir), node, Duration.ofSeconds(1), Duration.ofSeconds(30));
    }

    /** The pod's service account directory; a test may point elsewhere with {@code -Djlxcfs.serviceAccountDir}. */
    public static Path serviceAccountDir() {
        String dir = System.getProperty("jlxcfs.serviceAccountDir");
        return dir != null ? Path.of(dir) : NodeApi.SERVICE_ACCOUNT_DIR;
    }

    /** True once the API server accepted the label. */
    public boolean labelled() {
        return labelled;
    }

    /** Starts labelling the node in the background, retried with backoff until it is done or {@link #close}d. */
    public synchronized void apply() {
        if (applier == null) applier = Thread.ofPlatform().daemon().name("node-label").start(this::applyUntilDone);
    }

    private void applyUntilDone() {
        Duration delay = firstDelay;
        String lastProblem = null;
        while (true) {
            String problem;
            try {
                NodeApi.Answer a = api.mergePatchNode(node, SET);
                if (a.ok()) {
                    labelled = true;
                    LOG.log(System.Logger.Level.INFO, "labelled node " + node + " " + KEY + "=true");
                    return;
                }
                problem = describe(a);
            } catch (IOException e) {
                problem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
            } catch (InterruptedException e) {
                return;
            }
            // one line per new problem, not one per try
            if (!problem.equals(lastProblem)) {
                LOG.log(System.Logger.Level.WARNING, "cannot label node " + node + " " + KEY + "=true: " + problem
                        + "; retrying (every " + maxDelay.toSeconds() + " s at most)");
                lastProblem = problem;
            }
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                return;
            }
            delay = delay.multipliedBy(2).compareTo(maxDelay) > 0 ? maxDelay : delay.multipliedBy(2);
        }
    }

    private String describe(NodeApi.Answer a) {
        String what = switch (a.status()) {
            case 401 -> "unauthorized (the service account token in " + serviceAccountDir() + ")";
            case 403 -> "forbidden (the service account needs get and patch on nodes: ClusterRole jlxcfs-node)";
            case 404 -> "no node named " + node + " (--node-name or NODE_NAME)";
            default -> "HTTP " + a.status();
        };
        return a.message().isEmpty() ? what : what + ": " + a.message();
    }

    /**
     * The daemon stops and unmounts: stops labelling and takes the label away, trying for up to
     * {@code within} (the process exits next, so there is no later).
     */
    public void remove(Duration within) {
        stopApplying();
        long deadline = System.nanoTime() + within.toNanos();
        String problem = null;
        for (int attempt = 0; attempt == 0 || System.nanoTime() < deadline; attempt++) {
            try {
                NodeApi.Answer a = api.mergePatchNode(node, REMOVE);
                if (a.ok() || a.status() == 404) {
                    labelled = false;
                    LOG.log(System.Logger.Level.INFO, "removed the label " + KEY + " from node " + node);
                    return;
                }
                problem = describe(a);
            } catch (IOException e) {
                problem = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            try {
                Thread.sleep(Math.min(500, Math.max(0, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        LOG.log(System.Logger.Level.WARNING, "could not remove the label " + KEY + " from node " + node + ": " + problem
                + "; remove it by hand (kubectl label node " + node + " " + KEY + "-)");
    }

    private void stopApplying() {
        Thread t;
        synchronized (this) {
            t = applier;
            applier = null;
        }
        if (t == null) return;
        t.interrupt();
        try {
            t.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A hand-over: stops labelling and leaves the label to the next daemon. */
    @Override
    public void close() {
        stopApplying();
        api.close();
    }
}
