package org.jlxcfs.webhook.manifests;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * cert-manager's Issuer and Certificate (cert-manager.io/v1) have no model in the official client:
 * this checks the fields the overlay relies on, and that no field is unknown to cert-manager v1
 * (a typo would be dropped or refused by the API server and the certificate silently wrong).
 */
final class CertManagerFields {
    private CertManagerFields() {}

    private static final Set<String> TOP = Set.of("apiVersion", "kind", "metadata", "spec");
    private static final Set<String> ISSUER_SPEC = Set.of("selfSigned", "ca", "acme", "vault", "venafi");
    private static final Set<String> CERTIFICATE_SPEC = Set.of("subject", "literalSubject", "commonName", "duration",
            "renewBefore", "renewBeforePercentage", "dnsNames", "ipAddresses", "uris", "otherNames", "emailAddresses",
            "secretName", "secretTemplate", "keystores", "issuerRef", "isCA", "usages", "privateKey",
            "signatureAlgorithm", "encodeUsagesInRequest", "revisionHistoryLimit", "additionalOutputFormats",
            "nameConstraints");
    private static final Set<String> PRIVATE_KEY = Set.of("rotationPolicy", "encoding", "algorithm", "size");
    private static final Set<String> ISSUER_REF = Set.of("name", "kind", "group");
    private static final Set<String> USAGES = Set.of("signing", "digital signature", "content commitment",
            "key encipherment", "key agreement", "data encipherment", "cert sign", "crl sign", "encipher only",
            "decipher only", "any", "server auth", "client auth", "code signing", "email protection", "s/mime",
            "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing", "microsoft sgc",
            "netscape sgc");
    /** Go's time.ParseDuration, as cert-manager reads duration and renewBefore */
    private static final Pattern GO_DURATION = Pattern.compile("(\\d+(\\.\\d+)?(h|m|s|ms|us|ns))+");

    /** The problems found, empty when none. */
    static List<String> problems(JsonNode object) {
        List<String> problems = new ArrayList<>();
        String id = RenderedOverlay.id(object);
        if (!"cert-manager.io/v1".equals(object.path("apiVersion").asText())) problems.add(id + ": not cert-manager.io/v1");
        unknown(id, "", object, TOP, problems);
        if (object.path("metadata").path("name").asText().isEmpty()) problems.add(id + ": no metadata.name");
        if (object.path("metadata").path("namespace").asText().isEmpty()) problems.add(id + ": no metadata.namespace");
        JsonNode spec = object.path("spec");
        switch (object.path("kind").asText()) {
            case "Issuer", "ClusterIssuer" -> {
                unknown(id, "spec.", spec, ISSUER_SPEC, problems);
                if (spec.size() != 1) problems.add(id + ": an issuer has exactly one type, found " + spec.size());
                if (spec.has("ca") && spec.path("ca").path("secretName").asText().isEmpty()) {
                    problems.add(id + ": spec.ca.secretName is required");
                }
                if (spec.has("selfSigned") && !spec.path("selfSigned").isObject()) problems.add(id + ": spec.selfSigned must be an object");
            }
            case "Certificate" -> {
                unknown(id, "spec.", spec, CERTIFICATE_SPEC, problems);
                if (spec.path("secretName").asText().isEmpty()) problems.add(id + ": spec.secretName is required");
                JsonNode ref = spec.path("issuerRef");
                unknown(id, "spec.issuerRef.", ref, ISSUER_REF, problems);
                if (ref.path("name").asText().isEmpty()) problems.add(id + ": spec.issuerRef.name is required");
                JsonNode key = spec.path("privateKey");
                unknown(id, "spec.privateKey.", key, PRIVATE_KEY, problems);
                oneOf(id, "spec.privateKey.algorithm", key.path("algorithm"), Set.of("RSA", "ECDSA", "Ed25519"), problems);
                oneOf(id, "spec.privateKey.encoding", key.path("encoding"), Set.of("PKCS1", "PKCS8"), problems);
                oneOf(id, "spec.privateKey.rotationPolicy", key.path("rotationPolicy"), Set.of("Never", "Always"), problems);
                for (JsonNode usage : spec.path("usages")) oneOf(id, "spec.usages[]", usage, USAGES, problems);
                for (String field : List.of("duration", "renewBefore")) {
                    JsonNode value = spec.path(field);
                    if (!value.isMissingNode() && !GO_DURATION.matcher(value.asText()).matches()) {
                        problems.add(id + ": spec." + field + " is not a Go duration: " + value);
                    }
                }
                if (spec.has("isCA") && !spec.path("isCA").isBoolean()) problems.add(id + ": spec.isCA must be a boolean");
                if (!spec.has("isCA") && !spec.has("dnsNames") && !spec.has("commonName")) {
                    problems.add(id + ": a certificate names something (dnsNames or commonName)");
                }
            }
            default -> problems.add(id + ": not a cert-manager kind this check knows");
        }
        return problems;
    }

    private static void unknown(String id, String prefix, JsonNode node, Set<String> known, List<String> problems) {
        node.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) problems.add(id + ": unknown field " + prefix + f);
        });
    }

    private static void oneOf(String id, String field, JsonNode value, Set<String> allowed, List<String> problems) {
        if (!value.isMissingNode() && !allowed.contains(value.asText())) problems.add(id + ": " + field + " " + value + " is not one of " + allowed);
    }
}
