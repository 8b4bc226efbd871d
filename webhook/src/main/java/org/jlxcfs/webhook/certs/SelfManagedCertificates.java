package org.jlxcfs.webhook.certs;

import org.jlxcfs.webhook.tls.ServingIdentity;

import java.util.function.Supplier;

/**
 * Certificates without cert-manager: a CA and a serving certificate for the webhook's Service,
 * kept in a Secret, the CA written into the MutatingWebhookConfiguration's caBundle, renewed before
 * expiry. Without a Kubernetes API (tests, a laptop) they live in memory only.
 */
public final class SelfManagedCertificates implements Supplier<ServingIdentity>, AutoCloseable {
    @Override
    public ServingIdentity get() {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public void close() {}
}
