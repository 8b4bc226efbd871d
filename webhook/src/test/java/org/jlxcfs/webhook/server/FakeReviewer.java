package org.jlxcfs.webhook.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jlxcfs.webhook.admission.AdmissionHandler.Answer;
import org.jlxcfs.webhook.admission.Outcome;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Stands in for the admission handler: echoes the uid with allowed true, or a 400 when no review can be read. */
final class FakeReviewer implements Reviewer {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Answer review(String path, byte[] body) {
        try {
            JsonNode uid = JSON.readTree(body).path("request").path("uid");
            if (!uid.isTextual()) return invalid("no-uid");
            String json = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":"
                    + JSON.writeValueAsString(uid.asText()) + ",\"allowed\":true}}";
            return new Answer(200, json.getBytes(StandardCharsets.UTF_8),
                    path.equals("/mutate") ? Outcome.INJECTED : Outcome.SKIPPED, path.equals("/mutate") ? "injected" : "not-opted-in");
        } catch (IOException e) {
            return invalid("malformed-json");
        }
    }

    private static Answer invalid(String reason) {
        return new Answer(400, "{\"error\":\"no review\"}".getBytes(StandardCharsets.UTF_8), Outcome.INVALID, reason);
    }

    static String review(String uid) {
        return """
                {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"%s",\
                "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},\
                "operation":"CREATE","namespace":"default","object":{"apiVersion":"v1","kind":"Pod",\
                "metadata":{"name":"p","namespace":"default"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}"""
                .formatted(uid);
    }
}
