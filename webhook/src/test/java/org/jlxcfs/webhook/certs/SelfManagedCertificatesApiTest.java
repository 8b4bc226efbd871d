package org.jlxcfs.webhook.certs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Self-managed certificates against a fake Kubernetes API over TLS: the Secret, the caBundle, renewal, errors. */
class SelfManagedCertificatesApiTest {
    private static final String NS = "jlxcfs-system";
    private static final String SERVICE = "jlxcfs-webhook";
    private static final String SECRET = "jlxcfs-webhook-tls";
    private static final String CONFIGURATION = "jlxcfs";
    private static final String SECRET_PATH = FakeApiServer.secretPath(NS, SECRET);
    private static final String SECRETS_PATH = "/api/v1/namespaces/" + NS + "/secrets";
    private static final String CONFIGURATION_PATH = FakeApiServer.configurationPath(CONFIGURATION);

    @TempDir
    Path temp;
    private FakeApiServer api;
    private MutableClock clock;
    private final List<SelfManagedCertificates> started = java.util.Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void setUp() throws Exception {
        api = new FakeApiServer();
        api.writeServiceAccount(temp.resolve("sa"), "token-1");
        clock = MutableClock.ofNow();
    }

    @AfterEach
    void tearDown() {
        synchronized (started) {
            started.forEach(SelfManagedCertificates::close);
        }
        api.close();
    }

    private SelfManagedCertificates.Settings settings() {
        return new SelfManagedCertificates.Settings(NS, SERVICE, SECRET, CONFIGURATION, Optional.of(api.uri()), Optional.empty(), clock)
                .withServiceAccountDir(temp.resolve("sa"))
                .withCheckInterval(Duration.ofHours(1)) // the tests run checks themselves
                .withRetryDelay(Duration.ofMillis(20))
                .withStartTimeout(Duration.ofSeconds(5));
    }

    private SelfManagedCertificates start() {
        var certificates = SelfManagedCertificates.start(settings());
        started.add(certificates);
        return certificates;
    }

    /** Three webhooks: two call our Service, one calls another Service and must be left alone. */
    private void applyConfiguration() {
        var configuration = FakeApiServer.JSON.createObjectNode();
        configuration.put("apiVersion", "admissionregistration.k8s.io/v1").put("kind", "MutatingWebhookConfiguration");
        configuration.putObject("metadata").put("name", CONFIGURATION);
        var webhooks = configuration.putArray("webhooks");
        for (String name : List.of("namespace.jlxcfs.io", "legacy-namespace.jlxcfs.io")) {
            var webhook = webhooks.addObject().put("name", name);
            webhook.putObject("clientConfig").putObject("service").put("name", SERVICE).put("namespace", NS).put("path", "/mutate");
        }
        var other = webhooks.addObject().put("name", "other.example.com");
        other.putObject("clientConfig").put("caBundle", "b3RoZXI=").putObject("service").put("name", "other").put("namespace", NS);
        api.put(CONFIGURATION_PATH, configuration);
    }

    private static X509Certificate leaf(SelfManagedCertificates certificates) {
        return certificates.get().chain()[0];
    }

    private static X509Certificate ca(SelfManagedCertificates certificates) {
        return certificates.get().chain()[1];
    }

    private String secretData(String key) {
        return new String(Base64.getDecoder().decode(api.object(SECRET_PATH).path("data").path(key).asText()), StandardCharsets.US_ASCII);
    }

    /** What another replica would have written: a complete, valid set of its own. */
    private static java.util.Map<String, String> anotherReplicasData(java.time.Instant now) {
        var policy = new RenewalPolicy(new ServiceNames(SERVICE, NS), new CertificateIssuer());
        return policy.decide(java.util.Map.of(), now).bundle().toSecretData();
    }

    private ObjectNode secretWith(java.util.Map<String, String> data) {
        var secret = FakeApiServer.JSON.createObjectNode().put("apiVersion", "v1").put("kind", "Secret").put("type", "Opaque");
        secret.putObject("metadata").put("name", SECRET).put("namespace", NS).putObject("labels").put("app", "jlxcfs");
        if (data != null) {
            var encoded = secret.putObject("data");
            data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.US_ASCII))));
        }
        return secret;
    }

    @Test
    void firstReplicaCreatesTheSecretOnceAndPatchesTheCaBundle_secondReusesIt() throws Exception {
        applyConfiguration();
        var first = start();

        assertThat(api.count("POST", SECRETS_PATH)).isEqualTo(1);
        assertThat(api.count("PATCH", CONFIGURATION_PATH)).isEqualTo(1);
        assertThat(api.caBundleOf(CONFIGURATION, 0)).isEqualTo(first.caBundlePem());
        assertThat(api.caBundleOf(CONFIGURATION, 1)).isEqualTo(first.caBundlePem());
        assertThat(api.object(CONFIGURATION_PATH).at("/webhooks/2/clientConfig/caBundle").asText()).isEqualTo("b3RoZXI=");
        assertThat(Pem.parseCertificates(secretData("ca.crt"))).containsExactly(ca(first));
        assertThat(Pem.parseCertificates(secretData("tls.crt")).getFirst()).isEqualTo(leaf(first));
        assertThat(secretData("ca.key")).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(secretData("tls.key")).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(api.requests()).allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer token-1"));

        var second = start();
        assertThat(api.count("POST", SECRETS_PATH)).as("the second replica creates nothing").isEqualTo(1);
        assertThat(api.count("PUT", SECRET_PATH)).isZero();
        assertThat(api.count("PATCH", CONFIGURATION_PATH)).as("the caBundle is already right").isEqualTo(1);
        assertThat(leaf(second)).isEqualTo(leaf(first));
        assertThat(ca(second)).isEqualTo(ca(first));
        assertThat(second.get().key()).isEqualTo(first.get().key());
        assertThat(second.notAfter()).isEqualTo(first.notAfter());
    }

    @Test
    void twoReplicasStartingTogetherEndWithOneSecretAndTheSameCertificates() throws Exception {
        applyConfiguration();
        try (var executor = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            var a = executor.submit(this::start);
            var b = executor.submit(this::start);
            var first = a.get(30, java.util.concurrent.TimeUnit.SECONDS);
            var second = b.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(leaf(first)).isEqualTo(leaf(second));
            assertThat(first.caBundlePem()).isEqualTo(second.caBundlePem());
            assertThat(Pem.parseCertificates(secretData("tls.crt")).getFirst()).isEqualTo(leaf(first));
            assertThat(api.caBundleOf(CONFIGURATION, 0)).isEqualTo(first.caBundlePem());
        }
    }

    @Test
    void aSecretDeletedUnderARunningWebhookIsWrittenAgainWithTheCertificatesInUse() throws Exception {
        applyConfiguration();
        var certificates = start();
        var identity = certificates.get();
        api.remove(SECRET_PATH);

        assertThat(certificates.checkNow()).isTrue();

        assertThat(api.count("POST", SECRETS_PATH)).isEqualTo(2);
        assertThat(certificates.get()).isSameAs(identity);
        assertThat(Pem.parseCertificates(secretData("tls.crt")).getFirst()).isEqualTo(identity.chain()[0]);
        assertThat(secretData("ca.crt")).isEqualTo(certificates.caBundlePem());
        assertThat(api.count("PATCH", CONFIGURATION_PATH)).isEqualTo(1);
    }

    @Test
    void theEmptySecretOfTheManifestsIsFilledWithAPutCarryingItsResourceVersion() throws Exception {
        applyConfiguration();
        api.put(SECRET_PATH, secretWith(null));
        String version = api.object(SECRET_PATH).at("/metadata/resourceVersion").asText();

        var certificates = start();

        assertThat(api.count("POST", SECRETS_PATH)).isZero();
        var puts = api.requests().stream().filter(r -> r.method().equals("PUT")).toList();
        assertThat(puts).hasSize(1);
        assertThat(puts.getFirst().body().at("/metadata/resourceVersion").asText()).isEqualTo(version);
        assertThat(api.object(SECRET_PATH).at("/metadata/labels/app").asText()).as("the Secret's labels stay").isEqualTo("jlxcfs");
        assertThat(Pem.parseCertificates(secretData("tls.crt")).getFirst()).isEqualTo(leaf(certificates));
        assertThat(api.caBundleOf(CONFIGURATION, 0)).isEqualTo(certificates.caBundlePem());
    }

    @Test
    void aConflictOnThePutRereadsTheSecretAndUsesWhatTheOtherReplicaWrote() throws Exception {
        applyConfiguration();
        api.put(SECRET_PATH, secretWith(java.util.Map.of("ca.crt", "", "tls.crt", "garbage")));
        var theirs = anotherReplicasData(clock.instant());
        // the other replica writes between our read and our write: our resourceVersion is stale
        api.before("PUT " + SECRET_PATH, server -> server.put(SECRET_PATH, secretWith(theirs)));

        var certificates = start();

        assertThat(api.count("PUT", SECRET_PATH)).isEqualTo(1);
        assertThat(api.count("GET", SECRET_PATH)).isEqualTo(2);
        assertThat(Pem.certificates(List.of(leaf(certificates)))).isEqualTo(Pem.certificates(Pem.parseCertificates(theirs.get("tls.crt")).subList(0, 1)));
        assertThat(certificates.caBundlePem()).isEqualTo(theirs.get("ca.crt"));
        assertThat(secretData("tls.crt")).isEqualTo(theirs.get("tls.crt"));
    }

    @Test
    void aCreateThatLosesTheRaceUsesTheWinnersSecret() throws Exception {
        applyConfiguration();
        var theirs = anotherReplicasData(clock.instant());
        api.before("POST " + SECRETS_PATH, server -> server.put(SECRET_PATH, secretWith(theirs)));

        var certificates = start();

        assertThat(api.count("POST", SECRETS_PATH)).isEqualTo(1);
        assertThat(api.count("PUT", SECRET_PATH)).isZero();
        assertThat(certificates.caBundlePem()).isEqualTo(theirs.get("ca.crt"));
        assertThat(api.caBundleOf(CONFIGURATION, 1)).isEqualTo(theirs.get("ca.crt"));
    }

    @Test
    void aMissingWebhookConfigurationDoesNotFailTheStartAndIsPatchedByALaterCheck() {
        var certificates = start();
        assertThat(certificates.get()).isNotNull();
        assertThat(api.count("PATCH", CONFIGURATION_PATH)).isZero();

        assertThat(certificates.checkNow()).as("still missing: to be tried again soon").isFalse();
        applyConfiguration();
        assertThat(certificates.checkNow()).isTrue();
        assertThat(api.count("PATCH", CONFIGURATION_PATH)).isEqualTo(1);
        assertThat(api.caBundleOf(CONFIGURATION, 0)).isEqualTo(certificates.caBundlePem());
    }

    @Test
    void theScheduledRetryPatchesAConfigurationAppliedAfterTheStart() throws Exception {
        var certificates = start(); // retryDelay 20 ms: the first retries come quickly
        applyConfiguration();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (api.caBundleOf(CONFIGURATION, 0) == null && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(api.caBundleOf(CONFIGURATION, 0)).isEqualTo(certificates.caBundlePem());
    }

    @Test
    void aConfigurationReappliedWithoutTheCaBundleIsPatchedAgain() {
        applyConfiguration();
        var certificates = start();
        applyConfiguration(); // kubectl replace: caBundle gone
        assertThat(certificates.checkNow()).isTrue();
        assertThat(api.count("PATCH", CONFIGURATION_PATH)).isEqualTo(2);
        assertThat(api.caBundleOf(CONFIGURATION, 0)).isEqualTo(certificates.caBundlePem());
        assertThat(certificates.checkNow()).isTrue();
        assertThat(api.count("PATCH", CONFIGURATION_PATH)).as("nothing to change, nothing sent").isEqualTo(2);
    }

    @Test
    void pastTwoThirdsOfItsLifetimeTheServingCertificateIsRenewedUnderTheSameCa() throws Exception {
        applyConfiguration();
        var first = start();
        var second = start();
        var switches = new AtomicInteger();
        first.onRenewal(switches::incrementAndGet);
        var secondSwitches = new AtomicInteger();
        second.onRenewal(secondSwitches::incrementAndGet);
        var oldLeaf = leaf(first);
        var oldCa = ca(first);

        clock.advance(Duration.ofDays(200));
        assertThat(first.checkNow()).isTrue();
        assertThat(leaf(first)).as("two thirds not yet reached").isEqualTo(oldLeaf);
        assertThat(api.count("PUT", SECRET_PATH)).isZero();

        clock.advance(Duration.ofDays(50)); // 250 of 365 days
        assertThat(first.checkNow()).isTrue();
        assertThat(leaf(first)).isNotEqualTo(oldLeaf);
        assertThat(ca(first)).isEqualTo(oldCa);
        assertThat(first.notAfter()).isAfter(oldLeaf.getNotAfter().toInstant());
        assertThat(switches.get()).isEqualTo(1);
        assertThat(first.renewals()).isEqualTo(1);
        assertThat(api.count("PUT", SECRET_PATH)).isEqualTo(1);
        assertThat(Pem.parseCertificates(secretData("tls.crt")).getFirst()).isEqualTo(leaf(first));
        assertThat(api.count("PATCH", CONFIGURATION_PATH)).as("same CA, same caBundle").isEqualTo(1);
        leaf(first).checkValidity(java.util.Date.from(clock.instant()));

        // the other replica picks up the renewal at its next check, without writing anything
        assertThat(second.checkNow()).isTrue();
        assertThat(leaf(second)).isEqualTo(leaf(first));
        assertThat(secondSwitches.get()).isEqualTo(1);
        assertThat(api.count("PUT", SECRET_PATH)).isEqualTo(1);
    }

    @Test
    void aCaNearItsEndIsRolledAndTheOldOneStaysInTheCaBundle() throws Exception {
        applyConfiguration();
        var certificates = start();
        var oldCa = ca(certificates);

        clock.advance(Duration.ofDays(3652 - 300));
        assertThat(certificates.checkNow()).isTrue();

        var cas = Pem.parseCertificates(certificates.caBundlePem());
        assertThat(cas).hasSize(2);
        assertThat(cas.get(1)).isEqualTo(oldCa);
        assertThat(cas.getFirst()).isNotEqualTo(oldCa);
        assertThat(Pem.parseCertificates(api.caBundleOf(CONFIGURATION, 0))).containsExactlyElementsOf(cas);
        assertThat(Pem.parseCertificates(secretData("ca.crt"))).containsExactlyElementsOf(cas);
        // the old serving certificate had long expired: the new one comes from the new CA at once
        assertThat(Certificates.signedBy(leaf(certificates), cas.getFirst())).isTrue();
    }

    @Test
    void aForbiddenSecretFailsTheStartNamingTheSecretAndTheStatus() {
        for (int i = 0; i < 3; i++) api.force("GET " + SECRET_PATH, 403);
        assertThatThrownBy(this::start)
                .isInstanceOf(CertificateSetupException.class)
                .hasMessageContaining("Secret " + NS + "/" + SECRET)
                .hasMessageContaining("HTTP 403")
                .hasMessageContaining("RBAC");
        assertThat(api.count("GET", SECRET_PATH)).as("a 403 is not retried at start").isEqualTo(1);
    }

    @Test
    void aForbiddenCreateFailsTheStartNamingTheSecret() {
        api.force("POST " + SECRETS_PATH, 403);
        assertThatThrownBy(this::start)
                .isInstanceOf(CertificateSetupException.class)
                .hasMessageContaining("POST Secret " + NS + "/" + SECRET)
                .hasMessageContaining("HTTP 403");
    }

    @Test
    void transientErrorsAtStartAreRetried() {
        applyConfiguration();
        api.force("GET " + SECRET_PATH, 503);
        api.force("GET " + SECRET_PATH, 500);
        var certificates = start();
        assertThat(certificates.get()).isNotNull();
        assertThat(api.count("GET", SECRET_PATH)).isEqualTo(3);
    }

    @Test
    void transientErrorsPastTheStartTimeoutFailItNamingTheSecret() {
        for (int i = 0; i < 1000; i++) api.force("GET " + SECRET_PATH, 503);
        var settings = settings().withStartTimeout(Duration.ofMillis(200));
        assertThatThrownBy(() -> started.add(SelfManagedCertificates.start(settings)))
                .isInstanceOf(CertificateSetupException.class)
                .hasMessageContaining("GET Secret " + NS + "/" + SECRET)
                .hasMessageContaining("HTTP 503");
    }

    @Test
    void errorsAfterTheStartKeepTheIdentityAndAreRetried() {
        applyConfiguration();
        var certificates = start();
        var identity = certificates.get();
        api.force("GET " + SECRET_PATH, 500);
        assertThat(certificates.checkNow()).isFalse();
        assertThat(certificates.get()).isSameAs(identity);
        api.force("GET " + CONFIGURATION_PATH, 403);
        assertThat(certificates.checkNow()).isFalse();
        assertThat(certificates.checkNow()).isTrue();
        assertThat(certificates.get()).isSameAs(identity);
    }

    @Test
    void aServingCertificateDueWhileTheApiFailsIsRenewedInMemoryByTheSameCa() throws Exception {
        applyConfiguration();
        var certificates = start();
        var oldLeaf = leaf(certificates);
        var oldCa = ca(certificates);
        clock.advance(Duration.ofDays(250));
        api.force("GET " + SECRET_PATH, 503);

        assertThat(certificates.checkNow()).isFalse();
        var localLeaf = leaf(certificates);
        assertThat(localLeaf).isNotEqualTo(oldLeaf);
        assertThat(ca(certificates)).isEqualTo(oldCa);
        assertThat(api.count("PUT", SECRET_PATH)).isZero();

        // the API is back: the Secret is renewed and everyone uses what it holds
        assertThat(certificates.checkNow()).isTrue();
        assertThat(api.count("PUT", SECRET_PATH)).isEqualTo(1);
        assertThat(Pem.parseCertificates(secretData("tls.crt")).getFirst()).isEqualTo(leaf(certificates));
        assertThat(ca(certificates)).isEqualTo(oldCa);
    }

    @Test
    void theTokenIsReadAgainForEveryCall() throws Exception {
        applyConfiguration();
        var certificates = start();
        Files.writeString(temp.resolve("sa/token"), "token-2\n");
        certificates.checkNow();
        assertThat(api.requests().getLast().authorization()).isEqualTo("Bearer token-2");
    }

    @Test
    void aSecretRewrittenForAnotherServiceKeepsItsCaAndGetsANewServingCertificate() throws Exception {
        applyConfiguration();
        var policy = new RenewalPolicy(new ServiceNames("old-name", NS), new CertificateIssuer());
        var stored = policy.decide(java.util.Map.of(), clock.instant()).bundle().toSecretData();
        api.put(SECRET_PATH, secretWith(stored));

        var certificates = start();

        assertThat(certificates.caBundlePem()).isEqualTo(stored.get("ca.crt"));
        assertThat(Certificates.dnsNames(leaf(certificates))).contains(SERVICE + "." + NS + ".svc");
        assertThat(api.count("PUT", SECRET_PATH)).isEqualTo(1);
    }

    @Test
    void anHttpApiServerIsRefusedBecauseItWouldReceiveTheToken() {
        var settings = new SelfManagedCertificates.Settings(NS, SERVICE, SECRET, CONFIGURATION,
                Optional.of(java.net.URI.create("http://localhost:1")), Optional.empty(), clock);
        assertThatThrownBy(() -> SelfManagedCertificates.start(settings)).hasMessageContaining("https");
    }
}
