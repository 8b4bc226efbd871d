package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Mounts the injected files into one container, keeping every mount it has: a path it already mounts, or mounts a
 * directory above, is skipped in that container (its own mount wins) and recorded.
 */
final class ContainerMounts {
    /** A file not mounted into a container, and why. */
    record Skipped(String mountPath, String container, String why) {
        /** Parts cut short: a container name or mount path from an unvalidated pod can be of any length. */
        String describe() {
            return mountPath + " in " + Warnings.clean(container, 64) + ": " + Warnings.clean(why, 160);
        }
    }

    /** A file and the pod volume that carries it. */
    record Target(InjectedFile file, String volumeName) {}

    /** Volume name to the normal form of its hostPath (null for other sources). */
    private final Map<String, String> sources;

    ContainerMounts(List<PodShape.Volume> volumes) {
        sources = new HashMap<>(volumes.size() * 2);
        for (PodShape.Volume volume : volumes) {
            sources.putIfAbsent(volume.name(), volume.hostPath());
        }
    }

    /** Adds the mounts {@code container} lacks to {@code patch}; true when it added any. */
    boolean mount(PodShape.Container container, List<Target> targets, PatchBuilder patch, List<Skipped> skipped) {
        ArrayNode added = Json.MAPPER.createArrayNode();
        for (Target target : targets) {
            String path = target.file().mountPath();
            String conflict = conflict(container, target.file());
            if (conflict == null) {
                ObjectNode mount = added.addObject();
                mount.put("name", target.volumeName());
                mount.put("mountPath", path);
                mount.put("readOnly", true);
            } else if (!conflict.isEmpty()) {
                skipped.add(new Skipped(path, container.name(), conflict));
            }
        }
        if (added.isEmpty()) {
            return false;
        }
        if (!container.hasMounts()) {
            patch.add(container.pointer(), added);
        } else {
            for (int i = 0; i < added.size(); i++) {
                patch.add(container.pointer() + "/-", added.get(i));
            }
        }
        return true;
    }

    /** Null: mount it; empty: it is mounted from our source already; else why the container's own mount wins. */
    private String conflict(PodShape.Container container, InjectedFile file) {
        String path = file.mountPath();
        for (PodShape.Mount mount : container.mounts()) {
            if (mount.path().equals(path)) {
                return file.hostPath().equals(sources.get(mount.name())) ? "" : "it mounts its own";
            }
        }
        for (PodShape.Mount mount : container.mounts()) {
            if (MountPaths.isProperParent(mount.path(), path)) {
                return "it mounts " + mount.path();
            }
        }
        return null;
    }

    /** True when {@code container} already mounts one of the targets' files from our source. */
    boolean mountsAnyOf(PodShape.Container container, List<Target> targets) {
        for (PodShape.Mount mount : container.mounts()) {
            String source = sources.get(mount.name());
            for (Target target : targets) {
                if (target.file().hostPath().equals(source)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The names of all volumes of the pod and all names its containers' mounts refer to. */
    static List<String> namesInUse(List<PodShape.Volume> volumes, List<PodShape.Container> containers) {
        List<String> names = new ArrayList<>();
        volumes.forEach(v -> names.add(v.name()));
        containers.forEach(c -> c.mounts().forEach(m -> names.add(m.name())));
        return names;
    }
}
