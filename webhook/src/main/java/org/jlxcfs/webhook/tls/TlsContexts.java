package org.jlxcfs.webhook.tls;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.security.GeneralSecurityException;
import java.util.function.Supplier;

/** The server's TLS setup: TLS 1.2 and 1.3 only, the JDK's default cipher suites for them, no client certificates. */
public final class TlsContexts {
    public static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private TlsContexts() {}

    /** A server context whose every handshake serves what {@code identities} holds then. */
    public static SSLContext server(Supplier<ServingIdentity> identities) throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[] {new ReloadingKeyManager(identities)}, null, null);
        return context;
    }

    /** The parameters for each connection of {@code context}. */
    public static SSLParameters serverParameters(SSLContext context) {
        SSLParameters p = context.getDefaultSSLParameters();
        p.setProtocols(PROTOCOLS.clone());
        p.setNeedClientAuth(false);
        p.setWantClientAuth(false);
        return p;
    }
}
