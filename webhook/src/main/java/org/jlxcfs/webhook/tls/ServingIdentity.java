package org.jlxcfs.webhook.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/** The key and certificate chain the webhook serves TLS with; chain[0] is the serving certificate. */
public record ServingIdentity(PrivateKey key, X509Certificate[] chain) {}
