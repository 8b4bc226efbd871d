package org.jlxcfs.webhook.certs;

/** Self-managed certificates could not be set up; the message names the Secret, file or API call and why. */
public final class CertificateSetupException extends RuntimeException {
    CertificateSetupException(String message, Throwable cause) {
        super(message, cause);
    }
}
