package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.Run;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code jlxcfs webhook --self-signed} in its own process, with the JVM options of bin/jlxcfs
 * and this test's classpath (as {@link DaemonProcess#startAsShipped} starts the daemon: the jar
 * bin/jlxcfs runs is only built after the tests). No API server: its CA is written to a file
 * the test trusts, as the API server trusts the patched {@code caBundle}. Killed on close.
 */
final class WebhookProcess implements AutoCloseable {
    static final String NAMESPACE = "jlxcfs-system";
    /** The name the serving certificate must be valid for: the Service's, as the API server dials it. */
    static final String SERVICE_DNS_NAME = "jlxcfs-webhook." + NAMESPACE + ".svc";

    final Process process;
    final Path log;
    final Path caPem;
    final int port;
    final int metricsPort;

    private WebhookProcess(Process process, Path log, Path caPem, int port, int metricsPort) {
        this.process = process;
        this.log = log;
        this.caPem = caPem;
        this.port = port;
        this.metricsPort = metricsPort;
    }

    /** Starts the webhook injecting the files of the jlxcfs mounted at {@code sourceDir}; files go to {@code dir}. */
    static WebhookProcess start(Path dir, Path sourceDir) throws IOException {
        int port = Run.freePort();
        int metricsPort = Run.freePort();
        Path caPem = dir.resolve("ca.pem");
        Path log = dir.resolve("webhook.log");
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(DaemonProcess.shippedJvmOptions(true));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "webhook", "--self-signed", "--ca-bundle-out", caPem.toString(),
                "--port", String.valueOf(port), "--metrics-port", String.valueOf(metricsPort),
                "--source-dir", sourceDir.toString(), "--namespace", NAMESPACE));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        // never the machine's cluster, should the test run inside one: certificates stay in memory
        pb.environment().keySet().removeIf(k -> k.startsWith("KUBERNETES_") || k.equals("POD_NAMESPACE"));
        return new WebhookProcess(pb.start(), log, caPem, port, metricsPort);
    }


    /** Waits for {@code /readyz} 200 on the plain port and for the CA file. */
    WebhookProcess awaitReady(Duration timeout) throws Exception {
        URI readyz = URI.create("http://127.0.0.1:" + metricsPort + "/readyz");
        long deadline = System.nanoTime() + timeout.toNanos();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            while (true) {
                if (!process.isAlive()) throw new AssertionError("webhook exited " + process.exitValue() + ":\n" + log());
                try {
                    int status = http.send(HttpRequest.newBuilder(readyz).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                    if (status == 200 && Files.size(caPem) > 0) return this;
                } catch (IOException notYet) {
                    // not listening yet, or the CA file not written yet
                }
                if (System.nanoTime() > deadline) throw new AssertionError("webhook not ready within " + timeout + ":\n" + log());
                Thread.sleep(50);
            }
        }
    }

    /** {@code https://127.0.0.1:PORT/path}: the client given by {@link ServiceHttpsClient} checks the Service's name. */
    URI uri(String path) {
        return URI.create("https://127.0.0.1:" + port + path);
    }

    String log() {
        return DaemonProcess.readLog(log);
    }

    @Override
    public void close() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
