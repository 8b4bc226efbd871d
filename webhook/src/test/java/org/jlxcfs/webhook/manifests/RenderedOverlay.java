package org.jlxcfs.webhook.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jlxcfs.fuse.testing.Run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * One overlay as {@code kubectl kustomize} renders it, as JSON objects. kubectl itself turns the
 * YAML into JSON ({@code kubectl patch --local} with an empty merge patch, offline): the same
 * conversion {@code kubectl apply} makes, and no YAML library on the test class path.
 * The kubectl is {@code $JLXCFS_KUBECTL} if set (to try another version), else {@code kubectl} on the PATH;
 * without one the tests are skipped, or fail under CI=true.
 */
record RenderedOverlay(String name, List<JsonNode> objects) {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** what current kustomize says about the fields kept for kustomize v2 (kubectl 1.14-1.20) */
    private static final Pattern KNOWN_WARNING =
            Pattern.compile("# Warning: '(bases|patchesStrategicMerge|patchesJson6902)' is deprecated\\..*");
    private static final Map<String, RenderedOverlay> CACHE = new ConcurrentHashMap<>();

    static RenderedOverlay of(String overlay) {
        return CACHE.computeIfAbsent(overlay, RenderedOverlay::render);
    }

    static String kubectl() {
        String configured = System.getenv("JLXCFS_KUBECTL");
        if (configured != null && !configured.isBlank()) return configured;
        Run.requireProgram("kubectl", "apt-get install kubernetes-client");
        return "kubectl";
    }

    private static RenderedOverlay render(String overlay) {
        Path dir = ManifestTree.overlay(overlay);
        String kubectl = kubectl();
        Run.Result yaml = Run.cmd(TIMEOUT, kubectl, "kustomize", dir.toString());
        if (yaml.exit() != 0) throw new AssertionError("kubectl kustomize " + dir + " failed:\n" + yaml.err());
        List<String> unexpected = yaml.err().lines().filter(l -> !l.isBlank() && !KNOWN_WARNING.matcher(l).matches()).toList();
        if (!unexpected.isEmpty()) throw new AssertionError("kubectl kustomize " + dir + " warned:\n" + String.join("\n", unexpected));
        Path file = null;
        try {
            file = Files.createTempFile("jlxcfs-" + overlay + "-", ".yaml");
            Files.writeString(file, yaml.out(), StandardCharsets.UTF_8);
            Run.Result json = Run.cmd(TIMEOUT, kubectl, "patch", "--local", "-f", file.toString(),
                    "--type", "merge", "-p", "{}", "-o", "json");
            if (json.exit() != 0) throw new AssertionError("kubectl could not read the rendering of " + dir + ":\n" + json.err());
            List<JsonNode> objects = new ArrayList<>();
            try (var values = JSON.readerFor(JsonNode.class).<JsonNode>readValues(json.out())) {
                values.forEachRemaining(objects::add);
            }
            if (objects.isEmpty()) throw new AssertionError(dir + " rendered no object");
            return new RenderedOverlay(overlay, List.copyOf(objects));
        } catch (IOException e) {
            throw new AssertionError("rendering " + dir + ": " + e, e);
        } finally {
            if (file != null) file.toFile().delete();
        }
    }

    List<JsonNode> all(String kind) {
        return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
    }

    JsonNode one(String kind, String objectName) {
        List<JsonNode> found = all(kind).stream().filter(o -> objectName.equals(o.path("metadata").path("name").asText())).toList();
        if (found.size() != 1) throw new AssertionError(name + ": expected one " + kind + " " + objectName + ", found " + found.size());
        return found.getFirst();
    }

    static String id(JsonNode object) {
        JsonNode meta = object.path("metadata");
        String ns = meta.path("namespace").asText("");
        return object.path("apiVersion").asText() + " " + object.path("kind").asText() + " "
                + (ns.isEmpty() ? "" : ns + "/") + meta.path("name").asText();
    }
}
