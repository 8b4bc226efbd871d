package org.jlxcfs.webhook.server;

import org.jlxcfs.webhook.tls.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSocket;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Slowloris: clients that connect and say nothing, stop inside the TLS handshake, trickle their
 * headers a byte at a time, or never send the body they announced. Meanwhile a normal client is
 * answered quickly; the server closes each slow connection once its request has taken longer than
 * the limit (2 s here; 10 s in production); afterwards all is well. The server runs in its own JVM
 * so that it certainly has these limits (the JDK reads them once per JVM).
 */
class SlowClientsTest {
    private static final int EACH = 20;
    private static final long LIMIT_SECONDS = 2;

    @TempDir
    Path dir;

    @Test
    void slowClientsHoldOnlyTheirOwnConnectionAndAreClosed() throws Exception {
        TestPki.Ca ca = TestPki.newCa("slow clients CA");
        TestPki.Issued issued = ca.issue("webhook");
        Path cert = Files.writeString(dir.resolve("tls.crt"), issued.certPem());
        Path key = Files.writeString(dir.resolve("tls.key"), issued.keyPkcs8Pem());
        Path log = dir.resolve("server.log");
        Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dsun.net.httpserver.maxReqTime=" + LIMIT_SECONDS, "-Dsun.net.httpserver.maxRspTime=" + LIMIT_SECONDS,
                "-Dsun.net.httpserver.clockTick=250", "-Dsun.net.httpserver.timerMillis=250", "-Xmx96m",
                "-cp", System.getProperty("java.class.path"), SlowClientsServerMain.class.getName(), cert.toString(), key.toString())
                .redirectError(log.toFile()).start();
        List<Closeable> slow = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            String ready = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertThat(ready).as("server start; its log: %s", Files.exists(log) ? Files.readString(log) : "").startsWith("READY ");
            int https = Integer.parseInt(ready.split(" ")[1]);
            int ops = Integer.parseInt(ready.split(" ")[2]);
            URI review = URI.create("https://127.0.0.1:" + https + "/mutate");
            HttpClient client = TestServer.client(ca);
            assertThat(post(client, review, "warm-up")).isEqualTo(200);

            long t0 = System.nanoTime();
            List<Future<Long>> closedAfterMs = new ArrayList<>();
            for (int i = 0; i < EACH; i++) {
                // 1. connects, never says anything
                Socket silent = new Socket("127.0.0.1", https);
                slow.add(silent);
                closedAfterMs.add(threads.submit(() -> awaitClosed(silent)));
                // 2. starts a TLS handshake and stops inside its first record
                Socket stalled = new Socket("127.0.0.1", https);
                slow.add(stalled);
                stalled.getOutputStream().write(new byte[] {22, 3, 1, 0, (byte) 200, 1, 0, 0});
                closedAfterMs.add(threads.submit(() -> awaitClosed(stalled)));
                // 3. trickles its headers a byte every 100 ms, forever
                SSLSocket trickle = handshake(ca, https);
                slow.add(trickle);
                threads.submit(() -> trickle(trickle));
                closedAfterMs.add(threads.submit(() -> awaitClosed(trickle)));
                // 4. announces a body and never sends it
                SSLSocket noBody = handshake(ca, https);
                slow.add(noBody);
                noBody.getOutputStream().write(("POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 1000\r\n\r\n{\"apiVersion\"").getBytes(StandardCharsets.US_ASCII));
                noBody.getOutputStream().flush();
                closedAfterMs.add(threads.submit(() -> awaitClosed(noBody)));
            }

            long setUp = System.nanoTime() - t0;
            // while all of them hang on, a normal client is answered quickly
            long worst = 0;
            for (int i = 0; i < 20; i++) {
                long start = System.nanoTime();
                assertThat(post(client, review, "normal-" + i)).isEqualTo(200);
                worst = Math.max(worst, System.nanoTime() - start);
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(worst)).as("slowest normal review (ms)").isLessThan(1000);
            try (HttpClient fresh = TestServer.client(ca)) {
                assertThat(post(fresh, review, "new-connection")).as("a new connection too").isEqualTo(200);
            }

            // each slow connection is closed by the server after about the limit
            for (Future<Long> f : closedAfterMs) {
                long ms = f.get(LIMIT_SECONDS + 8, TimeUnit.SECONDS);
                assertThat(ms).as("closed after (ms)").isLessThan((LIMIT_SECONDS + 4) * 1000);
            }

            System.out.printf("SlowClientsTest: %d slow connections opened in %d ms; slowest of 20 normal reviews meanwhile %d ms; "
                    + "all slow ones closed %d ms after the first was opened%n", slow.size(), setUp / 1_000_000, worst / 1_000_000,
                    (System.nanoTime() - t0) / 1_000_000);
            // and all is well afterwards
            assertThat(post(client, review, "after")).isEqualTo(200);
            try (HttpClient plain = HttpClient.newHttpClient()) {
                var health = plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ops + "/healthz")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
            }
            client.close();
        } finally {
            for (Closeable c : slow) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // closed by the server already
                }
            }
            server.getOutputStream().close();
            if (!server.waitFor(10, TimeUnit.SECONDS)) server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static int post(HttpClient client, URI uri, String uid) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(FakeReviewer.review(uid))).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private static SSLSocket handshake(TestPki.Ca ca, int port) throws IOException {
        SSLSocket s = (SSLSocket) TestPki.clientTrusting(ca.cert()).getSocketFactory().createSocket("127.0.0.1", port);
        s.setSoTimeout(5000);
        s.startHandshake();
        return s;
    }

    private static void trickle(SSLSocket s) {
        byte[] request = "POST /mutate HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
        try {
            OutputStream out = s.getOutputStream();
            for (int i = 0; ; i++) {
                out.write(i < request.length ? request[i] : 'a');
                out.flush();
                Thread.sleep(100);
            }
        } catch (IOException | InterruptedException e) {
            // closed by the server (or the test)
        }
    }

    /** Milliseconds until the server closes {@code s} (end of stream, reset, or a TLS close). */
    private static long awaitClosed(Socket s) {
        long start = System.nanoTime();
        try {
            s.setSoTimeout((int) ((LIMIT_SECONDS + 10) * 1000));
            while (s.getInputStream().read() >= 0) {
                // an alert or a 408: keep reading to the end
            }
        } catch (java.net.SocketTimeoutException e) {
            return Long.MAX_VALUE; // never closed
        } catch (IOException e) {
            // reset or TLS closed: closed
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }
}
