package org.jlxcfs.webhook;

import org.jlxcfs.webhook.admission.AdmissionHandler;
import org.jlxcfs.webhook.admission.InjectionConfig;
import org.jlxcfs.webhook.certs.CertificateSetupException;
import org.jlxcfs.webhook.certs.SelfManagedCertificates;
import org.jlxcfs.webhook.server.WebhookMetrics;
import org.jlxcfs.webhook.server.WebhookServer;
import org.jlxcfs.webhook.tls.CertificateFiles;
import org.jlxcfs.webhook.tls.ServingIdentity;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

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

    @Option(names = "--require-node-label",
            description = "Also give each pod injected at creation the node selector jlxcfs.io/serving=true (the label "
                    + "the jlxcfs daemon sets on its Node while it serves), so it is scheduled only where its files exist; "
                    + "a pod's own value for that key is kept.")
    boolean requireNodeLabel;

    @Option(names = "--drain-seconds", paramLabel = "N",
            description = "After SIGTERM, fail /readyz but keep serving for N seconds before stopping (default: ${DEFAULT-VALUE}).")
    int drainSeconds = 5;

    /** Where a pod's service account token volume names its namespace. */
    static final Path SERVICE_ACCOUNT_NAMESPACE = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
    static final String FALLBACK_NAMESPACE = "jlxcfs-system";
    private static final System.Logger LOG = System.getLogger("jlxcfs.webhook");

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        validate();
        String ns = namespace != null ? namespace : defaultNamespace(System.getenv(), SERVICE_ACCOUNT_NAMESPACE);
        InjectionConfig config;
        try {
            config = new InjectionConfig(InjectionConfig.parseFiles(files), sourceDir, ns, requireNodeLabel);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        AdmissionHandler handler = new AdmissionHandler(config);
        WebhookMetrics metrics = new WebhookMetrics();
        IdentitySource identitySource;
        try {
            identitySource = identities(ns);
        } catch (CertificateSetupException e) {
            spec.commandLine().getErr().println(spec.qualifiedName() + ": " + e.getMessage());
            return 1;
        }
        try (IdentitySource identities = identitySource) {
            WebhookServer started;
            try {
                started = WebhookServer.start(WebhookServer.Settings.of(port, metricsPort), identities.supplier(), handler::review,
                        metrics);
            } catch (IOException e) {
                spec.commandLine().getErr().println(spec.qualifiedName() + ": " + e.getMessage());
                return 1;
            }
            try (WebhookServer server = started) {
                CountDownLatch stop = new CountDownLatch(1);
                for (String sig : new String[] {"TERM", "INT"}) {
                    Signal.handle(new Signal(sig), s -> {
                        LOG.log(Level.INFO, "SIG" + s.getName() + ": stopping (reviews in flight are finished)");
                        stop.countDown();
                    });
                }
                LOG.log(Level.INFO, "serving AdmissionReviews on https port " + server.httpsAddress().getPort()
                        + (metricsPort == 0 ? ", no metrics port" : ", /healthz /readyz /metrics on http port " + metricsPort)
                        + "; certificates: " + (selfSigned ? "self-managed (secret " + ns + "/" + secret + ")"
                                : "from " + tlsCert + " and " + tlsKey + " (reloaded on change)")
                        + "; namespace " + ns + "; injecting " + config.files().size() + " files from " + sourceDir
                        + (requireNodeLabel ? " on nodes labelled jlxcfs.io/serving=true" : ""));
                stop.await();
                // endpoints are removed from the Service only after /readyz fails: keep answering meanwhile,
                // since a review refused during a rollout admits its pod without injection
                server.drain();
                if (drainSeconds > 0) LOG.log(Level.INFO, "/readyz now fails; serving " + drainSeconds + " s more while the Service forgets this pod");
                Thread.sleep(drainSeconds * 1000L);
            }
        }
        return 0;
    }

    /** The serving identity's source, closed after the server. */
    private record IdentitySource(Supplier<ServingIdentity> supplier, AutoCloseable closer) implements AutoCloseable {
        @Override
        public void close() {
            try {
                if (closer != null) closer.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "stopping the certificate manager: " + e.getMessage());
            }
        }
    }

    private IdentitySource identities(String ns) throws IOException {
        if (!selfSigned) {
            try {
                return new IdentitySource(CertificateFiles.load(tlsCert, tlsKey, CertificateFiles.DEFAULT_CHECK_INTERVAL), null);
            } catch (IOException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--tls-cert/--tls-key: " + e.getMessage(), e);
            }
        }
        Optional<URI> api;
        try {
            api = apiServer != null ? Optional.of(new URI(apiServer)) : SelfManagedCertificates.inClusterApiServer();
        } catch (URISyntaxException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--api-server " + apiServer + ": not a URL: " + e.getMessage(), e);
        }
        if (api.isEmpty()) LOG.log(Level.INFO, "no Kubernetes API (no --api-server, no $KUBERNETES_SERVICE_HOST): certificates kept in memory only");
        SelfManagedCertificates managed = SelfManagedCertificates.start(new SelfManagedCertificates.Settings(
                ns, service, secret, webhookConfiguration, api, Optional.ofNullable(caBundleOut), Clock.systemUTC()));
        return new IdentitySource(managed, managed);
    }

    /** The option errors a user can make, each as one line naming the option (exit code 2). */
    void validate() {
        boolean fromFiles = tlsCert != null || tlsKey != null;
        if (fromFiles && selfSigned) fail("give either --tls-cert and --tls-key (cert-manager) or --self-signed, not both");
        if (!fromFiles && !selfSigned) fail("give --tls-cert and --tls-key (cert-manager's tls.crt and tls.key), or --self-signed");
        if (fromFiles && tlsKey == null) fail("--tls-cert needs --tls-key, the private key of that certificate");
        if (fromFiles && tlsCert == null) fail("--tls-key needs --tls-cert, the certificate of that key");
        if (fromFiles) {
            requireFile("--tls-cert", tlsCert);
            requireFile("--tls-key", tlsKey);
        }
        if (!selfSigned) {
            String ignored = apiServer != null ? "--api-server" : caBundleOut != null ? "--ca-bundle-out" : null;
            if (ignored != null) fail(ignored + " only applies with --self-signed");
        }
        if (port < 1 || port > 65535) fail("--port must be between 1 and 65535, got " + port);
        if (metricsPort < 0 || metricsPort > 65535) fail("--metrics-port must be between 1 and 65535 (or 0 for none), got " + metricsPort);
        if (metricsPort == port) fail("--metrics-port must differ from --port (both " + port + ")");
        if (namespace != null && !namespace.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
            fail("--namespace must be a Kubernetes namespace name (lower-case letters, digits and '-'), got '" + namespace + "'");
        }
        if (files != null && files.isEmpty()) fail("--files must name at least one file");
        if (drainSeconds < 0 || drainSeconds > 300) fail("--drain-seconds must be between 0 and 300, got " + drainSeconds);
        if (!sourceDir.isAbsolute()) fail("--source-dir must be an absolute path (the jlxcfs mount on the nodes), got " + sourceDir);
    }

    private void requireFile(String option, Path file) {
        if (!Files.isReadable(file) || Files.isDirectory(file)) fail(option + " " + file + ": no such readable file");
    }

    private void fail(String message) {
        throw new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** $POD_NAMESPACE (the downward API), else the service account's namespace file, else jlxcfs-system. */
    static String defaultNamespace(Map<String, String> env, Path serviceAccountNamespace) {
        String fromEnv = env.get("POD_NAMESPACE");
        if (fromEnv != null && !fromEnv.isBlank()) return fromEnv.strip();
        try {
            String fromFile = Files.readString(serviceAccountNamespace).strip();
            if (!fromFile.isEmpty()) return fromFile;
        } catch (IOException | RuntimeException e) {
            // not in a pod
        }
        return FALLBACK_NAMESPACE;
    }
}
