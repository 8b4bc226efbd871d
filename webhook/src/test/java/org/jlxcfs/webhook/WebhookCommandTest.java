package org.jlxcfs.webhook;

import org.jlxcfs.webhook.tls.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Option errors: exit code 2 and a message that names the option, before anything is started. */
class WebhookCommandTest {
    @TempDir
    Path dir;

    private record Result(int code, String err) {}

    private Result run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new WebhookCommand());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return new Result(cl.execute(args), err.toString());
    }

    private String[] withFiles(String... more) throws IOException {
        TestPki.Issued issued = TestPki.newCa("cmd CA").issue("webhook");
        Path cert = Files.writeString(dir.resolve("tls.crt"), issued.certPem());
        Path key = Files.writeString(dir.resolve("tls.key"), issued.keyPkcs8Pem());
        List<String> args = new ArrayList<>(List.of("--tls-cert", cert.toString(), "--tls-key", key.toString()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    private void refused(Result r, String... named) {
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err().lines().findFirst().orElse("")).contains(named);
    }

    @Test
    void aCertificateSourceIsRequiredExactlyOnce() throws IOException {
        refused(run(), "--tls-cert", "--self-signed");
        refused(run(withFiles("--self-signed")), "--self-signed");
        refused(run("--tls-cert", dir.resolve("c").toString()), "--tls-cert needs --tls-key");
        refused(run("--tls-key", dir.resolve("k").toString()), "--tls-key needs --tls-cert");
        refused(run("--tls-cert", dir.resolve("missing.crt").toString(), "--tls-key", dir.resolve("missing.key").toString()),
                "--tls-cert", "missing.crt");
    }

    @Test
    void unusableCertificateFilesNameTheFile() throws IOException {
        String[] args = withFiles();
        Files.writeString(dir.resolve("tls.key"), TestPki.newCa("other").issue("other").keyPkcs8Pem());
        refused(run(args), "--tls-key", "tls.key", "does not belong");
        Files.writeString(dir.resolve("tls.crt"), "not PEM\n");
        refused(run(args), "--tls-cert", "tls.crt");
    }

    @Test
    void portsInRangeAndDistinct() throws IOException {
        refused(run(withFiles("--port", "0")), "--port");
        refused(run(withFiles("--port", "65536")), "--port");
        refused(run(withFiles("--metrics-port", "-1")), "--metrics-port");
        refused(run(withFiles("--port", "9443", "--metrics-port", "9443")), "--metrics-port", "--port");
        refused(run(withFiles("--port", "https")), "--port");
    }

    @Test
    void otherOptions() throws IOException {
        refused(run(withFiles("--api-server", "https://10.0.0.1")), "--api-server", "--self-signed");
        refused(run(withFiles("--ca-bundle-out", dir.resolve("ca.pem").toString())), "--ca-bundle-out");
        refused(run(withFiles("--namespace", "Not_A_Namespace")), "--namespace");
        refused(run(withFiles("--source-dir", "relative/dir")), "--source-dir");
        refused(run(withFiles("--require-node-label=maybe")), "--require-node-label");
    }

    @Test
    void requireNodeLabelIsOffUnlessGiven() {
        WebhookCommand off = new WebhookCommand();
        new CommandLine(off).parseArgs("--self-signed");
        assertThat(off.requireNodeLabel).isFalse();
        WebhookCommand on = new WebhookCommand();
        new CommandLine(on).parseArgs("--self-signed", "--require-node-label");
        assertThat(on.requireNodeLabel).isTrue();
    }

    @Test
    void namespaceFromTheEnvironmentThenTheServiceAccountThenTheDefault() throws IOException {
        Path file = dir.resolve("namespace");
        assertThat(WebhookCommand.defaultNamespace(Map.of("POD_NAMESPACE", "from-env"), file)).isEqualTo("from-env");
        assertThat(WebhookCommand.defaultNamespace(Map.of(), file)).isEqualTo("jlxcfs-system");
        Files.writeString(file, "from-file\n");
        assertThat(WebhookCommand.defaultNamespace(Map.of(), file)).isEqualTo("from-file");
        assertThat(WebhookCommand.defaultNamespace(Map.of("POD_NAMESPACE", " "), file)).isEqualTo("from-file");
    }

    @Test
    void aPortInUseIsOneLineAndExitCode1() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {
            Result r = run(withFiles("--port", Integer.toString(taken.getLocalPort()), "--metrics-port", "0"));
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err().strip()).doesNotContain("\n").contains("cannot listen on port " + taken.getLocalPort());
        }
    }

    /** The command in a JVM of its own (signals), as the daemon's Main runs it. */
    public static final class Child {
        public static void main(String[] args) {
            System.exit(new CommandLine(new WebhookCommand()).execute(args));
        }
    }

    @Test
    void servesUntilSigtermThenDrainsThenExitsZero() throws Exception {
        String[] files = withFiles();
        int port = freePort();
        int metricsPort = freePort();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Child.class.getName(),
                "--port", Integer.toString(port), "--metrics-port", Integer.toString(metricsPort), "--namespace", "test-ns",
                "--drain-seconds", "2"));
        cmd.addAll(List.of(files));
        Path log = dir.resolve("webhook.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try (HttpClient http = HttpClient.newHttpClient()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            int status = 0;
            while (status != 200 && System.nanoTime() < deadline && p.isAlive()) {
                try {
                    status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/readyz")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (IOException notYet) {
                    Thread.sleep(100);
                }
            }
            assertThat(status).as("ready; log: %s", Files.readString(log)).isEqualTo(200);
            p.destroy(); // SIGTERM
            long termAt = System.nanoTime();
            // draining: no longer ready (the Service drops this pod), still alive and still accepting reviews
            int readyz = 200;
            while (readyz == 200 && System.nanoTime() - termAt < Duration.ofSeconds(1).toNanos()) {
                readyz = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/readyz")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
            }
            assertThat(readyz).as("/readyz while draining").isEqualTo(503);
            assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/healthz")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).as("/healthz while draining").isEqualTo(200);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                assertThat(s.isConnected()).as("https port accepts while draining").isTrue();
            }
            assertThat(p.waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - termAt)).as("stopped only after --drain-seconds").isGreaterThan(Duration.ofMillis(1900));
            assertThat(p.exitValue()).as(Files.readString(log)).isZero();
            assertThat(Files.readString(log)).contains("serving AdmissionReviews on https port " + port, "namespace test-ns",
                    "SIGTERM: stopping");
        } finally {
            if (p.isAlive()) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
