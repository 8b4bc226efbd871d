package org.jlxcfs.webhook.server;

import org.jlxcfs.webhook.tls.CertificateFiles;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A webhook server in a JVM of its own, for {@link SlowClientsTest}: the JDK reads its connection
 * limits once per JVM, so the test gives this one short limits on its command line. Arguments: the
 * certificate and key files. Prints "READY https-port ops-port", serves until its stdin closes.
 */
public final class SlowClientsServerMain {
    public static void main(String[] args) throws IOException {
        var files = CertificateFiles.load(Path.of(args[0]), Path.of(args[1]), Duration.ofSeconds(1));
        var settings = new WebhookServer.Settings(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                64 * 1024, Duration.ofSeconds(1));
        try (WebhookServer server = WebhookServer.start(settings, files, new FakeReviewer(), new WebhookMetrics())) {
            System.out.println("READY " + server.httpsAddress().getPort() + " " + server.metricsAddress().getPort());
            System.out.flush();
            System.in.transferTo(java.io.OutputStream.nullOutputStream());
        }
    }
}
