package org.jlxcfs.daemon.node;

import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** The daemon's options for a Kubernetes node: probes and metrics over HTTP, and the node label that says it serves. */
public final class KubernetesOptions {
    /** RFC 1123 subdomain, as Kubernetes requires of node names. */
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    @Option(names = "--health-port", paramLabel = "PORT", order = 30,
            description = "Serve GET /healthz, /readyz (200 only while serving the mount) and /metrics over plain HTTP "
                    + "on PORT (off by default; 0: any free port, logged).")
    public Integer healthPort;

    @Option(names = "--health-address", paramLabel = "ADDR", order = 31,
            description = "With --health-port: the IP address to listen on (default: 0.0.0.0).")
    public String healthAddress;

    @Option(names = "--node-label", order = 32,
            description = "Once serving, put the label jlxcfs.io/serving=true on this node through the Kubernetes API (retried in the "
                    + "background); removed when the daemon stops and unmounts, kept on hand-over.")
    public boolean nodeLabel;

    @Option(names = "--node-name", paramLabel = "NAME", order = 33,
            description = "With --node-label: this node's name (default: $NODE_NAME).")
    public String nodeName;

    @Option(names = "--api-server", paramLabel = "URL", order = 34,
            description = "With --node-label: the Kubernetes API (default: in-cluster, from $KUBERNETES_SERVICE_HOST and _PORT).")
    public String apiServer;

    /** Why these options cannot be used together (one line naming the option), or empty. */
    public Optional<String> refusal(Map<String, String> env) {
        if (healthPort != null && (healthPort < 0 || healthPort > 65535)) {
            return Optional.of("--health-port must be between 0 and 65535, got " + healthPort);
        }
        if (healthAddress != null) {
            if (healthPort == null) return Optional.of("--health-address needs --health-port");
            try {
                InetAddress.ofLiteral(healthAddress);
            } catch (IllegalArgumentException e) {
                return Optional.of("--health-address must be an IP address, got '" + healthAddress + "'");
            }
        }
        if (!nodeLabel) {
            if (nodeName != null) return Optional.of("--node-name needs --node-label");
            if (apiServer != null) return Optional.of("--api-server needs --node-label");
            return Optional.empty();
        }
        String name = nodeName(env);
        if (name == null) return Optional.of("--node-label needs --node-name or the NODE_NAME environment variable");
        if (name.length() > 253 || !DNS_SUBDOMAIN.matcher(name).matches()) {
            return Optional.of((nodeName != null ? "--node-name" : "NODE_NAME") + " must be a node name (lowercase letters, "
                    + "digits, '-' and '.', at most 253), got '" + name + "'");
        }
        if (apiServer != null) {
            try {
                URI uri = new URI(apiServer);
                if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                    return Optional.of("--api-server must be an https:// URL (it receives the service account token), got '"
                            + apiServer + "'");
                }
            } catch (URISyntaxException e) {
                return Optional.of("--api-server must be an https:// URL, got '" + apiServer + "': " + e.getReason());
            }
        } else if (inClusterApiServer(env).isEmpty()) {
            return Optional.of("--node-label needs the Kubernetes API: --api-server URL, or KUBERNETES_SERVICE_HOST and "
                    + "KUBERNETES_SERVICE_PORT as in a pod");
        }
        return Optional.empty();
    }

    /** The node's name from --node-name or NODE_NAME; null when neither is set. */
    public String nodeName(Map<String, String> env) {
        String name = nodeName != null ? nodeName : env.get("NODE_NAME");
        return name == null || name.isBlank() ? null : name.strip();
    }

    /** The API server: --api-server, else the in-cluster one (call only after {@link #refusal} found nothing). */
    public URI apiServer(Map<String, String> env) {
        return apiServer != null ? URI.create(apiServer) : inClusterApiServer(env).orElseThrow();
    }

    /** https://HOST:PORT from the variables the kubelet sets in every pod (an IPv6 host in brackets). */
    static Optional<URI> inClusterApiServer(Map<String, String> env) {
        String host = env.get("KUBERNETES_SERVICE_HOST"), port = env.get("KUBERNETES_SERVICE_PORT");
        if (host == null || host.isBlank() || port == null || !port.strip().matches("\\d{1,5}")) return Optional.empty();
        host = host.strip();
        try {
            return Optional.of(new URI("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port.strip()));
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }

    /** Where the health endpoint listens (only with --health-port). */
    public InetSocketAddress healthSocketAddress() {
        return new InetSocketAddress(InetAddress.ofLiteral(healthAddress == null ? "0.0.0.0" : healthAddress), healthPort);
    }
}
