package org.jlxcfs.webhook.admission;

/** A request the webhook cannot use: answered {@code allowed} with {@link #warning()}, never thrown out of the handler. */
final class Rejection extends Exception {
    private final Reason reason;

    Rejection(Reason reason, String warning) {
        super(warning, null, false, false); // no stack trace: these are answers, not bugs
        this.reason = reason;
    }

    Reason reason() {
        return reason;
    }

    String warning() {
        return getMessage();
    }
}
