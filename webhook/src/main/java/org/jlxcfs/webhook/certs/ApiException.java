package org.jlxcfs.webhook.certs;

import java.io.IOException;

/** A Kubernetes API call that failed: which object, which HTTP status (0: no answer), what the API said. */
final class ApiException extends IOException {
    private final int status;

    ApiException(String object, int status, String detail, Throwable cause) {
        super(object + ": " + (status == 0 ? "no answer" : "HTTP " + status) + (detail == null || detail.isBlank() ? "" : " (" + detail + ")")
                + hint(status), cause);
        this.status = status;
    }

    int status() {
        return status;
    }

    /** Worth trying again: the API server is busy, restarting or unreachable, not refusing us for good. */
    boolean retryable() {
        return status == 0 || status == 429 || status >= 500;
    }

    private static String hint(int status) {
        return switch (status) {
            case 401 -> "; the service account token was refused";
            case 403 -> "; check the webhook's RBAC rules for this object";
            default -> "";
        };
    }
}
