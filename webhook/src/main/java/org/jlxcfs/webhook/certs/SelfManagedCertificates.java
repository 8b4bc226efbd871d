package org.jlxcfs.webhook.certs;

import org.jlxcfs.webhook.tls.ServingIdentity;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Certificates without cert-manager: a CA and a serving certificate for the webhook's Service,
 * kept in a Secret, the CA written into the MutatingWebhookConfiguration's caBundle, renewed before
 * expiry. Without a Kubernetes API (tests, a laptop) they live in memory only.
 *
 * <p>Replicas share the Secret: the first creates (or fills) it, the others reuse it; writes carry the
 * resourceVersion, and the loser of a race reads and uses the winner's certificates. Every check (hourly by
 * default) reads the Secret again, so a renewal by another replica is picked up. {@link #get()} returns the
 * current identity and switches atomically; a TLS key manager calls it per handshake.
 *
 * <p>At start, a Secret that cannot be read or written for good (401, 403, another 4xx) fails
 * {@link #start} at once with the object and status in the message: RBAC is wrong and a crash-looping pod
 * shows it. Transient errors (no answer, 429, 5xx) are retried with backoff for
 * {@link Settings#startTimeout()}. A missing or failing webhook configuration never fails the start. After
 * the start, every error is logged and retried with backoff; nothing stops the process.
 */
public final class SelfManagedCertificates implements Supplier<ServingIdentity>, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SelfManagedCertificates.class.getName());
    private static final int WRITE_ATTEMPTS = 5;

    /**
     * Where the certificates live and how often they are checked.
     *
     * @param namespace            the webhook's namespace: the Secret's, and the Service's named in the certificate
     * @param service              the webhook's Service
     * @param secret               the Secret holding {@code ca.crt}, {@code ca.key}, {@code tls.crt}, {@code tls.key}
     * @param webhookConfiguration the MutatingWebhookConfiguration whose caBundle is kept current
     * @param apiServer            the Kubernetes API (https); empty: certificates in memory only
     * @param caBundleOut          a file to write the CA bundle (PEM) to, atomically, whenever it changes
     * @param clock                the time certificates are issued and judged by
     * @param serviceAccountDir    where {@code token} and {@code ca.crt} for the API are
     * @param checkInterval        time between two checks of the Secret, configuration and expiry
     * @param retryDelay           first delay after a failed check, doubled up to {@code checkInterval}
     * @param startTimeout         how long {@link #start} retries transient API errors
     */
    public record Settings(String namespace, String service, String secret, String webhookConfiguration,
                           Optional<URI> apiServer, Optional<Path> caBundleOut, Clock clock,
                           Path serviceAccountDir, Duration checkInterval, Duration retryDelay, Duration startTimeout) {
        public static final Path DEFAULT_SERVICE_ACCOUNT_DIR = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

        public Settings {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(service, "service");
            Objects.requireNonNull(secret, "secret");
            Objects.requireNonNull(webhookConfiguration, "webhookConfiguration");
            Objects.requireNonNull(apiServer, "apiServer");
            Objects.requireNonNull(caBundleOut, "caBundleOut");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(serviceAccountDir, "serviceAccountDir");
            Objects.requireNonNull(checkInterval, "checkInterval");
            Objects.requireNonNull(retryDelay, "retryDelay");
            Objects.requireNonNull(startTimeout, "startTimeout");
            if (!checkInterval.isPositive()) throw new IllegalArgumentException("checkInterval must be positive: " + checkInterval);
            if (!retryDelay.isPositive()) throw new IllegalArgumentException("retryDelay must be positive: " + retryDelay);
            if (startTimeout.isNegative()) throw new IllegalArgumentException("startTimeout must not be negative: " + startTimeout);
        }

        /** The usual settings: the service account's token and CA, a check every hour, 10 s first retry, 1 min start. */
        public Settings(String namespace, String service, String secret, String webhookConfiguration,
                        Optional<URI> apiServer, Optional<Path> caBundleOut, Clock clock) {
            this(namespace, service, secret, webhookConfiguration, apiServer, caBundleOut, clock,
                    DEFAULT_SERVICE_ACCOUNT_DIR, Duration.ofHours(1), Duration.ofSeconds(10), Duration.ofMinutes(1));
        }

        /** Inside a pod: the API from {@link #inClusterApiServer()} (none when not in a cluster), the system clock. */
        public static Settings inCluster(String namespace, String service, String secret, String webhookConfiguration,
                                         Optional<Path> caBundleOut) {
            return new Settings(namespace, service, secret, webhookConfiguration, inClusterApiServer(), caBundleOut, Clock.systemUTC());
        }

        public Settings withServiceAccountDir(Path dir) {
            return new Settings(namespace, service, secret, webhookConfiguration, apiServer, caBundleOut, clock, dir, checkInterval, retryDelay, startTimeout);
        }

        public Settings withCheckInterval(Duration interval) {
            return new Settings(namespace, service, secret, webhookConfiguration, apiServer, caBundleOut, clock, serviceAccountDir, interval, retryDelay, startTimeout);
        }

        public Settings withRetryDelay(Duration delay) {
            return new Settings(namespace, service, secret, webhookConfiguration, apiServer, caBundleOut, clock, serviceAccountDir, checkInterval, delay, startTimeout);
        }

        public Settings withStartTimeout(Duration timeout) {
            return new Settings(namespace, service, secret, webhookConfiguration, apiServer, caBundleOut, clock, serviceAccountDir, checkInterval, retryDelay, timeout);
        }
    }

    /** The in-cluster API server from $KUBERNETES_SERVICE_HOST and $KUBERNETES_SERVICE_PORT; empty outside a cluster. */
    public static Optional<URI> inClusterApiServer() {
        return inClusterApiServer(System.getenv());
    }

    static Optional<URI> inClusterApiServer(Map<String, String> env) {
        String host = env.getOrDefault("KUBERNETES_SERVICE_HOST", "").strip();
        if (host.isEmpty()) return Optional.empty();
        String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "").strip();
        if (port.isEmpty()) port = "443";
        if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) > 65535) {
            throw new IllegalArgumentException("$KUBERNETES_SERVICE_PORT is not a port: " + port);
        }
        // an IPv6 address goes in brackets in a URI
        if (host.contains(":") && !host.startsWith("[")) host = "[" + host + "]";
        try {
            return Optional.of(new URI("https://" + host + ":" + port));
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("$KUBERNETES_SERVICE_HOST is not a host: " + host, e);
        }
    }

    /** The namespace of this pod's service account, if it runs in a cluster. */
    public static Optional<String> serviceAccountNamespace() {
        try {
            String namespace = Files.readString(Settings.DEFAULT_SERVICE_ACCOUNT_DIR.resolve("namespace"), StandardCharsets.UTF_8).strip();
            return namespace.isEmpty() ? Optional.empty() : Optional.of(namespace);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private record State(CertificateBundle bundle, ServingIdentity identity) {}

    private final Settings settings;
    private final RenewalPolicy policy;
    private final KubernetesApi api;
    private final SecretStore secrets;
    private final CaBundlePatcher caBundle;
    private final AtomicReference<State> state = new AtomicReference<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong renewals = new AtomicLong();
    private final ScheduledExecutorService scheduler;
    private String writtenCaBundle;
    private volatile int failures;

    private SelfManagedCertificates(Settings settings) {
        this.settings = settings;
        var names = new ServiceNames(settings.service(), settings.namespace());
        this.policy = new RenewalPolicy(names, new CertificateIssuer());
        this.api = settings.apiServer().map(uri -> new KubernetesApi(uri, settings.serviceAccountDir())).orElse(null);
        this.secrets = api == null ? null : new SecretStore(api, settings.namespace(), settings.secret());
        this.caBundle = api == null ? null : new CaBundlePatcher(api, settings.webhookConfiguration(), settings.namespace(), settings.service());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("jlxcfs-certificates").factory());
    }

    /**
     * Returns once a serving identity is available: from the Secret (read, created or filled) with an API
     * server, else issued in memory; then checks again every {@link Settings#checkInterval()}.
     *
     * @throws CertificateSetupException naming the Secret, file or API call that failed, and the HTTP status
     */
    public static SelfManagedCertificates start(Settings settings) {
        var certificates = new SelfManagedCertificates(settings);
        try {
            certificates.first();
        } catch (RuntimeException e) {
            certificates.close();
            throw e;
        }
        // a caBundle not yet set is tried again soon, not in an hour
        certificates.schedule(certificates.failures > 0 ? certificates.backoff(certificates.failures) : settings.checkInterval());
        return certificates;
    }

    @Override
    public ServingIdentity get() {
        return state.get().identity();
    }

    /** When the current serving certificate expires (for the expiry gauge). */
    public Instant notAfter() {
        return state.get().bundle().notAfter();
    }

    /** The CA certificates the API server must trust, PEM, newest first. */
    public String caBundlePem() {
        return state.get().bundle().caBundlePem();
    }

    /** Runs {@code listener} after each switch to another serving certificate (renewed here, or by another replica). */
    public void onRenewal(Runnable listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** How many times the serving certificate has switched since the start. */
    public long renewals() {
        return renewals.get();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        if (api != null) api.close();
    }

    private void first() {
        if (api == null) {
            adopt(policy.decide(Map.of(), now()).bundle());
        } else {
            long deadline = System.nanoTime() + settings.startTimeout().toNanos();
            for (int attempt = 1; ; attempt++) {
                try {
                    adopt(reconcileSecret());
                    break;
                } catch (ApiException e) {
                    if (!e.retryable() || System.nanoTime() - deadline >= 0) {
                        throw new CertificateSetupException("self-managed certificates: " + e.getMessage(), e);
                    }
                    Duration delay = backoff(attempt);
                    LOG.log(System.Logger.Level.WARNING, "{0}; trying again in {1} s", e.getMessage(), delay.toMillis() / 1000.0);
                    sleep(delay);
                }
            }
            LOG.log(System.Logger.Level.INFO, "serving with the certificates of {0}; the serving certificate expires {1}",
                    secrets.describe(), notAfter());
            try {
                if (!syncCaBundle()) failures++;
            } catch (ApiException e) {
                failures++;
                LOG.log(System.Logger.Level.WARNING, "{0}; the caBundle will be set by a later check", e.getMessage());
            }
        }
        try {
            writeCaBundleFile();
        } catch (IOException e) {
            throw new CertificateSetupException("self-managed certificates: cannot write the CA bundle to "
                    + settings.caBundleOut().orElseThrow() + ": " + e.getMessage(), e);
        }
    }

    /**
     * One check: reads the Secret, renews what needs it, switches the identity, keeps the caBundle current.
     * True when everything is in order; false when something is to be tried again soon.
     */
    synchronized boolean checkNow() {
        try {
            adopt(api == null ? renewInMemory() : reconcileSecret());
            boolean inOrder = api == null || syncCaBundle();
            writeCaBundleFile();
            if (inOrder) failures = 0;
            else failures++;
            return inOrder;
        } catch (ApiException e) {
            failures++;
            if (scheduler.isShutdown()) return false;
            LOG.log(System.Logger.Level.WARNING, "certificate check: {0}", e.getMessage());
            renewServingCertificateLocallyIfDue();
            return false;
        } catch (IOException e) {
            failures++;
            LOG.log(System.Logger.Level.WARNING, "certificate check: cannot write the CA bundle to {0}: {1}",
                    settings.caBundleOut().orElseThrow(), e.getMessage());
            return false;
        } catch (RuntimeException e) {
            // never let a surprise stop the checks: the next one may succeed
            failures++;
            LOG.log(System.Logger.Level.ERROR, "certificate check failed", e);
            return false;
        }
    }

    /**
     * While the API does not answer, a serving certificate that is due is still renewed, in memory, by the
     * same CA: the API servers trust it already. The Secret gets a renewal at the first check that reaches it.
     */
    private void renewServingCertificateLocallyIfDue() {
        CertificateBundle current = state.get().bundle();
        var decision = policy.decide(current.toSecretData(), now());
        if (decision.unchanged() || !decision.bundle().cas().equals(current.cas())) return;
        LOG.log(System.Logger.Level.WARNING, "renewed the serving certificate in memory ({0}); {1} will be updated when the API answers",
                String.join(", ", decision.changes()), secrets.describe());
        adopt(decision.bundle());
    }

    private void schedule(Duration delay) {
        try {
            scheduler.schedule(() -> schedule(checkNow() ? settings.checkInterval() : backoff(failures)),
                    delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed
        }
    }

    /** retryDelay, doubled per consecutive failure, never longer than the check interval. */
    private Duration backoff(int failures) {
        Duration delay = settings.retryDelay();
        for (int i = 1; i < failures && delay.compareTo(settings.checkInterval()) < 0; i++) delay = delay.multipliedBy(2);
        return delay.compareTo(settings.checkInterval()) < 0 ? delay : settings.checkInterval();
    }

    private CertificateBundle renewInMemory() {
        var decision = policy.decide(state.get().bundle().toSecretData(), now());
        if (!decision.unchanged()) LOG.log(System.Logger.Level.INFO, "certificates renewed in memory: {0}", String.join(", ", decision.changes()));
        return decision.bundle();
    }

    /** The bundle the Secret holds, after creating, filling or renewing it as needed. */
    private CertificateBundle reconcileSecret() throws ApiException {
        for (int attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
            var stored = secrets.read();
            if (stored.isEmpty()) {
                // a Secret deleted under a running webhook is written again with the certificates in use, so
                // that the other replicas and the caBundle stay valid
                State current = state.get();
                var decision = policy.decide(current == null ? Map.of() : current.bundle().toSecretData(), now());
                if (secrets.create(decision.bundle().toSecretData())) {
                    LOG.log(System.Logger.Level.INFO, "created {0}{1}", secrets.describe(),
                            decision.unchanged() ? " again with the certificates in use" : ": " + String.join(", ", decision.changes()));
                    return decision.bundle();
                }
                LOG.log(System.Logger.Level.INFO, "{0} was created by another replica first; using it", secrets.describe());
                continue;
            }
            var decision = policy.decide(stored.get().data(), now());
            if (decision.unchanged()) return decision.bundle();
            if (secrets.replace(stored.get(), decision.bundle().toSecretData())) {
                LOG.log(System.Logger.Level.INFO, "updated {0}: {1}", secrets.describe(), String.join(", ", decision.changes()));
                return decision.bundle();
            }
            LOG.log(System.Logger.Level.INFO, "{0} was changed by another replica meanwhile; reading it again", secrets.describe());
        }
        throw new ApiException(secrets.describe(), 409, "still changing under us after " + WRITE_ATTEMPTS + " attempts", null);
    }

    /** True when the configuration trusts our CA bundle; false when it is to be tried again soon. */
    private boolean syncCaBundle() throws ApiException {
        return switch (caBundle.sync(state.get().bundle().caBundlePem())) {
            case PATCHED -> {
                LOG.log(System.Logger.Level.INFO, "set the caBundle of {0}", caBundle.describe());
                yield true;
            }
            case UNCHANGED -> true;
            case NOT_FOUND -> {
                LOG.log(System.Logger.Level.WARNING, "{0} does not exist (yet?); its caBundle will be set when it does. "
                        + "Until then the API server cannot call the webhook", caBundle.describe());
                yield false;
            }
            case NO_WEBHOOK_FOR_SERVICE -> {
                LOG.log(System.Logger.Level.WARNING, "{0} has no webhook calling Service {1}/{2}; its caBundle is left alone",
                        caBundle.describe(), settings.namespace(), settings.service());
                yield false;
            }
        };
    }

    private void writeCaBundleFile() throws IOException {
        if (settings.caBundleOut().isEmpty()) return;
        String pem = state.get().bundle().caBundlePem();
        if (pem.equals(writtenCaBundle)) return;
        CaBundleFile.write(settings.caBundleOut().get(), pem);
        writtenCaBundle = pem;
    }

    /** Switches to {@code bundle} when it differs from the current one, and tells the listeners. */
    private void adopt(CertificateBundle bundle) {
        State previous = state.get();
        if (previous != null && previous.bundle().cas().equals(bundle.cas()) && previous.bundle().leaf().equals(bundle.leaf())
                && previous.bundle().leafKey().equals(bundle.leafKey())) {
            return;
        }
        state.set(new State(bundle, bundle.identity()));
        if (previous == null || previous.bundle().leaf().equals(bundle.leaf())) return;
        renewals.incrementAndGet();
        LOG.log(System.Logger.Level.INFO, "serving certificate switched; it expires {0}", bundle.notAfter());
        for (var listener : listeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "a certificate renewal listener failed", e);
            }
        }
    }

    private Instant now() {
        return settings.clock().instant();
    }

    private static void sleep(Duration delay) {
        try {
            Thread.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CertificateSetupException("self-managed certificates: interrupted while waiting to retry", e);
        }
    }
}
