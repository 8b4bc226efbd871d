package org.jlxcfs.webhook.manifests;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the kustomize tree is: {@code deploy/kubernetes} of the repository the tests run in. */
final class ManifestTree {
    private ManifestTree() {}

    static Path root() {
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("deploy/kubernetes");
            if (Files.isDirectory(candidate)) return candidate;
        }
        throw new AssertionError("no deploy/kubernetes above " + start);
    }

    static Path overlay(String name) {
        Path dir = root().resolve("overlays").resolve(name);
        if (!Files.isRegularFile(dir.resolve("kustomization.yaml"))) throw new AssertionError("no kustomization.yaml in " + dir);
        return dir;
    }
}
