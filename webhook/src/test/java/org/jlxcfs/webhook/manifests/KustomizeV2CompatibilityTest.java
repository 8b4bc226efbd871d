package org.jlxcfs.webhook.manifests;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kustomizations stay readable by kustomize v2.0.3, the one inside kubectl 1.14-1.20 (Debian
 * 12's kubectl is 1.20): only the fields it knows, and directories under {@code bases}, since its
 * {@code resources} takes files only. Current kubectl reads these too (with a deprecation warning).
 * Needs no kubectl: a line-level reading of every kustomization.yaml under deploy/kubernetes.
 */
class KustomizeV2CompatibilityTest {
    private static final Set<String> V2_FIELDS = Set.of("apiVersion", "kind", "resources", "bases", "patchesStrategicMerge",
            "patchesJson6902", "images", "namespace", "namePrefix", "nameSuffix", "commonLabels", "commonAnnotations",
            "configMapGenerator", "secretGenerator", "generatorOptions", "vars", "crds");

    private static List<Path> kustomizations() throws IOException {
        try (Stream<Path> files = Files.walk(ManifestTree.root())) {
            return files.filter(p -> p.getFileName().toString().equals("kustomization.yaml")).sorted().toList();
        }
    }

    @Test
    void onlyFieldsKustomizeV2Knows() throws IOException {
        List<Path> kustomizations = kustomizations();
        assertThat(kustomizations).hasSizeGreaterThanOrEqualTo(6);
        for (Path file : kustomizations) {
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank() || line.startsWith("#") || line.startsWith(" ") || line.startsWith("-")) continue;
                String field = line.substring(0, line.indexOf(':') < 0 ? line.length() : line.indexOf(':'));
                assertThat(V2_FIELDS).as(file + ": " + field + " is unknown to kustomize v2 (kubectl 1.20)").contains(field);
            }
        }
    }

    @Test
    void resourcesAreFilesAndBasesAreDirectories() throws IOException {
        for (Path file : kustomizations()) {
            String section = null;
            List<String> problems = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                if (!line.startsWith(" ") && !line.startsWith("-") && line.contains(":")) section = line.substring(0, line.indexOf(':'));
                if (!line.startsWith("- ") || section == null) continue;
                String entry = line.substring(2).trim();
                Path target = file.getParent().resolve(entry).normalize();
                if (section.equals("resources") && !Files.isRegularFile(target)) problems.add("resources: " + entry + " is not a file");
                if (section.equals("bases") && !Files.isRegularFile(target.resolve("kustomization.yaml"))) {
                    problems.add("bases: " + entry + " is not a kustomization directory");
                }
                if (section.equals("patchesStrategicMerge") && !Files.isRegularFile(target)) problems.add("patchesStrategicMerge: " + entry + " is not a file");
            }
            assertThat(problems).as(file.toString()).isEmpty();
        }
    }
}
