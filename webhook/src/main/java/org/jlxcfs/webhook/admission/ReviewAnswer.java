package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;

/** Writes the AdmissionReview answer: always {@code allowed: true}; a patch only when there is one. */
final class ReviewAnswer {
    static final String V1 = "admission.k8s.io/v1";

    private ReviewAnswer() {}

    /**
     * @param apiVersion the request's version, echoed
     * @param uid        the request's uid, or "" when it had none
     * @param patch      the RFC 6902 patch, null or empty for none
     */
    static byte[] write(String apiVersion, String uid, byte[] patch, List<String> warnings) {
        boolean patched = patch != null && patch.length > 2; // "[]" is no patch
        ByteArrayOutputStream out = new ByteArrayOutputStream(160 + (patched ? patch.length * 4 / 3 + 4 : 0));
        try (JsonGenerator json = Json.MAPPER.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("apiVersion", apiVersion);
            json.writeStringField("kind", "AdmissionReview");
            json.writeObjectFieldStart("response");
            json.writeStringField("uid", uid);
            json.writeBooleanField("allowed", true);
            if (patched) {
                json.writeStringField("patchType", "JSONPatch");
                json.writeStringField("patch", Base64.getEncoder().encodeToString(patch));
            }
            if (!warnings.isEmpty()) {
                json.writeArrayFieldStart("warnings");
                for (String warning : warnings) {
                    json.writeString(warning);
                }
                json.writeEndArray();
            }
            json.writeEndObject();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return out.toByteArray();
    }
}
