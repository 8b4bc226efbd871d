package org.jlxcfs.webhook.server;

import java.util.Map;

/**
 * Limits of the JDK's HTTP server, set as the system properties it reads once, when its classes
 * load (so before the first server is created; a value given on the command line wins). They keep
 * slow or stalled clients from holding resources: with a thread-per-connection executor such a
 * client never blocks the others (the TLS handshake and the request are read on the connection's
 * own virtual thread, never on the dispatcher), and these close it after a while.
 */
final class HttpServerTuning {
    static final Map<String, String> DEFAULTS = Map.of(
            // a request (TLS handshake, headers and body) must arrive within 10 s of its first byte, and a
            // connection that sends nothing is closed after as long
            "sun.net.httpserver.maxReqTime", "10",
            // a response must be taken by the client within 10 s
            "sun.net.httpserver.maxRspTime", "10",
            // how often idle and never-used connections are looked at (ms; the JDK's default is 10 s)
            "sun.net.httpserver.clockTick", "1000",
            // keep-alive longer than the API server's own idle timeout (Go's 90 s), so it closes first and
            // never sends a review on a connection we are closing
            "sun.net.httpserver.idleInterval", "120",
            // Nagle's algorithm with delayed ACKs adds tens of milliseconds to a small response
            "sun.net.httpserver.nodelay", "true",
            // connections beyond this are closed at once: a flood cannot exhaust memory
            "jdk.httpserver.maxConnections", "512");

    private HttpServerTuning() {}

    static void apply() {
        DEFAULTS.forEach((k, v) -> {
            if (System.getProperty(k) == null) System.setProperty(k, v);
        });
    }
}
