package org.jlxcfs.webhook.server;

import org.jlxcfs.webhook.admission.AdmissionHandler;

/**
 * What the server asks about each review that passed the HTTP checks: {@code AdmissionHandler::review}
 * in the webhook, a fake in tests.
 */
@FunctionalInterface
public interface Reviewer {
    /** The answer to {@code body} posted to {@code path}; expected never to throw (the server guards anyway). */
    AdmissionHandler.Answer review(String path, byte[] body);
}
