package org.jlxcfs.webhook.admission;

import java.util.Locale;

/** What one admission did to its pod; the metrics label is {@link #label()}. */
public enum Outcome {
    /** every configured file mounted into every container */
    INJECTED,
    /** some paths skipped in some containers (their own mount kept, a volume name taken, ...) */
    PARTIAL,
    /** nothing injected, on purpose (opted out, mirror pod, Windows, not selected, ...) */
    SKIPPED,
    /** the request itself was unusable (malformed JSON, wrong kind or version, too large, ...) */
    INVALID;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
