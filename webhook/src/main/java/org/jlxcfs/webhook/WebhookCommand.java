package org.jlxcfs.webhook;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code jlxcfs webhook}: the Kubernetes mutating admission webhook, in the foreground until SIGTERM. */
@Command(name = "webhook", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = "Serves the Kubernetes mutating admission webhook that mounts jlxcfs files into pods.")
public final class WebhookCommand implements Callable<Integer> {
    @Option(names = "--port", paramLabel = "PORT", description = "HTTPS port for AdmissionReviews (default: ${DEFAULT-VALUE}).")
    int port = 8443;

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Plain HTTP port for /healthz, /readyz and /metrics (default: ${DEFAULT-VALUE}; 0 turns it off).")
    int metricsPort = 8080;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate chain (reloaded when the file changes).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key (PKCS#8, or PKCS#1 RSA).")
    Path tlsKey;

    @Option(names = "--self-signed",
            description = "Manage certificates without cert-manager: a CA and serving certificate kept in a Secret, the "
                    + "webhook configuration's caBundle patched, renewed before expiry.")
    boolean selfSigned;

    @Option(names = "--namespace", paramLabel = "NS",
            description = "The webhook's own namespace, never injected (default: $POD_NAMESPACE, else the service account's, else jlxcfs-system).")
    String namespace;

    @Option(names = "--service", paramLabel = "NAME", description = "The webhook's Service, named in its certificate (default: ${DEFAULT-VALUE}).")
    String service = "jlxcfs-webhook";

    @Option(names = "--secret", paramLabel = "NAME", description = "With --self-signed: the Secret holding the CA and certificate (default: ${DEFAULT-VALUE}).")
    String secret = "jlxcfs-webhook-tls";

    @Option(names = "--webhook-configuration", paramLabel = "NAME",
            description = "With --self-signed: the MutatingWebhookConfiguration whose caBundle is kept current (default: ${DEFAULT-VALUE}).")
    String webhookConfiguration = "jlxcfs";

    @Option(names = "--api-server", paramLabel = "URL",
            description = "With --self-signed: the Kubernetes API (default: in-cluster from $KUBERNETES_SERVICE_HOST; none: certificates in memory only).")
    String apiServer;

    @Option(names = "--ca-bundle-out", paramLabel = "FILE", description = "With --self-signed: also write the CA certificate (PEM) here.")
    Path caBundleOut;

    @Option(names = "--files", paramLabel = "LIST", split = ",",
            description = "Files to inject, relative to the jlxcfs mount (default: proc/{cpuinfo,meminfo,stat,uptime,loadavg,diskstats,swaps},sys/devices/system/cpu/online).")
    java.util.List<String> files;

    @Option(names = "--source-dir", paramLabel = "DIR", description = "The jlxcfs mount on the nodes (default: ${DEFAULT-VALUE}).")
    Path sourceDir = Path.of("/var/lib/jlxcfs");

    @Override
    public Integer call() {
        throw new UnsupportedOperationException("not yet");
    }
}
