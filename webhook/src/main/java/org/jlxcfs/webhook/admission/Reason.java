package org.jlxcfs.webhook.admission;

/** Why an admission ended as it did: the metrics' {@code reason} label, a fixed vocabulary (bounded cardinality). */
public enum Reason {
    // injected or partial
    INJECTED("injected"),
    CONFLICTS("conflicts"),
    // skipped on purpose
    ALREADY_INJECTED("already-injected"),
    OPTED_OUT("opted-out"),
    WINDOWS("windows"),
    MIRROR_POD("mirror-pod"),
    SYSTEM_NAMESPACE("system-namespace"),
    OWN_NAMESPACE("own-namespace"),
    NOT_OPTED_IN("not-opted-in"),
    NOT_A_POD("not-a-pod"),
    OTHER_OPERATION("other-operation"),
    NO_VOLUMES("no-volumes"),
    // the request was unusable
    UNKNOWN_PATH("unknown-path"),
    EMPTY_BODY("empty-body"),
    MALFORMED_JSON("malformed-json"),
    NOT_A_REVIEW("not-a-review"),
    WRONG_KIND("wrong-kind"),
    WRONG_VERSION("wrong-version"),
    MISSING_UID("missing-uid"),
    MISSING_OBJECT("missing-object"),
    MALFORMED_POD("malformed-pod"),
    INTERNAL_ERROR("internal-error");

    private final String label;

    Reason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
