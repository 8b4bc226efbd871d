package org.jlxcfs.webhook.tls;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;

/**
 * Serves each TLS handshake the identity its source holds at that moment, so a renewed
 * certificate is used from the next connection on without a restart. The alias names one
 * identity: a handshake that picked an alias gets that identity's key and chain even if the
 * source moves on between its calls. No identity (not yet loaded) fails the handshake.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
    private record Named(String alias, ServingIdentity identity) {}

    private final Supplier<ServingIdentity> source;
    private volatile Named current;
    private volatile Named previous;
    private long generation;

    public ReloadingKeyManager(Supplier<ServingIdentity> source) {
        this.source = source;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return choose(keyType);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return choose(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        String alias = choose(keyType);
        return alias == null ? null : new String[] {alias};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Named n = named(alias);
        return n == null ? null : n.identity().chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Named n = named(alias);
        return n == null ? null : n.identity().key();
    }

    // a server only: no client certificates
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }

    private String choose(String keyType) {
        ServingIdentity identity = source.get();
        if (identity == null) return null;
        Named n = current;
        if (n == null || n.identity() != identity) n = rotate(identity);
        return fits(identity.key().getAlgorithm(), keyType) ? n.alias() : null;
    }

    private synchronized Named rotate(ServingIdentity identity) {
        Named n = current;
        if (n != null && n.identity() == identity) return n;
        previous = n;
        current = new Named("serving-" + ++generation, identity);
        return current;
    }

    private Named named(String alias) {
        Named c = current;
        if (c != null && c.alias().equals(alias)) return c;
        Named p = previous;
        return p != null && p.alias().equals(alias) ? p : null;
    }

    /**
     * Whether a key of {@code keyAlgorithm} serves the key type the TLS stack asks for ("RSA",
     * "RSASSA-PSS", "EC", "EdDSA", or "EC_RSA" style for the legacy ECDH suites: the key's own
     * type comes first).
     */
    static boolean fits(String keyAlgorithm, String keyType) {
        if (keyType == null) return false;
        String wanted = keyType.contains("_") ? keyType.substring(0, keyType.indexOf('_')) : keyType;
        if (wanted.equalsIgnoreCase(keyAlgorithm)) return true;
        return wanted.equals("EdDSA") && (keyAlgorithm.equals("Ed25519") || keyAlgorithm.equals("Ed448"));
    }
}
