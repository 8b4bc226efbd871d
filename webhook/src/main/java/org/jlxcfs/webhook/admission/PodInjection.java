package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The injection into a pod being created: one hostPath volume per file (or the pod's own volume of that hostPath),
 * mounted read-only into every container, init container and ephemeral container that does not mount the path itself.
 */
final class PodInjection {
    /**
     * What the patch does; {@code changed}: it adds volumes or mounts; {@code mountsOurFiles}: with it, some container
     * of the pod mounts at least one of our files (so the pod needs jlxcfs on its node).
     */
    record Plan(PatchBuilder patch, boolean changed, List<ContainerMounts.Skipped> skipped, boolean mountsOurFiles) {}

    private PodInjection() {}

    static Plan plan(ObjectNode spec, List<InjectedFile> files, Warnings warnings) throws Rejection {
        List<PodShape.Volume> volumes = PodShape.volumes(spec);
        List<PodShape.Container> containers = new ArrayList<>();
        for (String field : PodShape.CONTAINER_FIELDS) {
            containers.addAll(PodShape.containers(spec, field));
        }

        Map<String, String> byHostPath = new HashMap<>();
        for (PodShape.Volume volume : volumes) {
            if (volume.hostPath() != null) {
                byHostPath.putIfAbsent(volume.hostPath(), volume.name());
            }
        }
        Set<String> taken = new HashSet<>(ContainerMounts.namesInUse(volumes, containers));
        List<ContainerMounts.Target> targets = new ArrayList<>(files.size());
        List<PodShape.Volume> allVolumes = new ArrayList<>(volumes);
        ArrayNode newVolumes = Json.MAPPER.createArrayNode();
        for (InjectedFile file : files) {
            String name = byHostPath.get(file.hostPath());
            if (name == null) {
                name = freeName(file.volumeName(), taken);
                if (!name.equals(file.volumeName())) {
                    warnings.add("volume name " + file.volumeName() + " is taken in this pod; using " + name);
                }
                taken.add(name);
                newVolumes.add(volume(name, file));
                allVolumes.add(new PodShape.Volume(name, file.hostPath()));
            }
            targets.add(new ContainerMounts.Target(file, name));
        }

        PatchBuilder patch = new PatchBuilder();
        if (!newVolumes.isEmpty()) {
            if (spec.get("volumes") == null || spec.get("volumes").isNull()) {
                patch.add("/spec/volumes", newVolumes);
            } else {
                for (int i = 0; i < newVolumes.size(); i++) {
                    patch.add("/spec/volumes/-", newVolumes.get(i));
                }
            }
        }
        ContainerMounts mounts = new ContainerMounts(allVolumes);
        List<ContainerMounts.Skipped> skipped = new ArrayList<>();
        boolean mountsOurFiles = false;
        for (PodShape.Container container : containers) {
            mountsOurFiles |= mounts.mount(container, targets, patch, skipped) || mounts.mountsAnyOf(container, targets);
        }
        return new Plan(patch, !patch.isEmpty(), skipped, mountsOurFiles);
    }

    private static ObjectNode volume(String name, InjectedFile file) {
        ObjectNode volume = Json.MAPPER.createObjectNode();
        volume.put("name", name);
        ObjectNode hostPath = volume.putObject("hostPath");
        hostPath.put("path", file.hostPath());
        hostPath.put("type", file.hostPathType());
        return volume;
    }

    /** {@code wanted}, or {@code wanted-2}, {@code -3}... (shortened to stay a valid name), whichever is free. */
    static String freeName(String wanted, Set<String> taken) {
        if (!taken.contains(wanted)) {
            return wanted;
        }
        for (int n = 2; ; n++) {
            String suffix = "-" + n;
            String base = wanted.length() + suffix.length() > InjectedFile.MAX_NAME
                    ? wanted.substring(0, InjectedFile.MAX_NAME - suffix.length()) : wanted;
            while (base.endsWith("-")) {
                base = base.substring(0, base.length() - 1);
            }
            String candidate = base + suffix;
            if (!taken.contains(candidate)) {
                return candidate;
            }
        }
    }
}
