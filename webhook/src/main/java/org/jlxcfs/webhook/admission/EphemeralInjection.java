package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Mounts for ephemeral containers, added through an UPDATE of {@code pods/ephemeralcontainers}. Such an update cannot
 * add volumes, so only the files whose volume the pod already has are mounted; and an ephemeral container cannot be
 * changed once added, so only the containers this update adds (absent from the old pod) are touched.
 */
final class EphemeralInjection {
    private EphemeralInjection() {}

    /** Null when the pod has none of our volumes; else the mounts to add. */
    static PodInjection.Plan plan(ObjectNode spec, ObjectNode oldObject, List<InjectedFile> files) throws Rejection {
        List<PodShape.Volume> volumes = PodShape.volumes(spec);
        Map<String, String> byHostPath = new HashMap<>();
        for (PodShape.Volume volume : volumes) {
            if (volume.hostPath() != null) {
                byHostPath.putIfAbsent(volume.hostPath(), volume.name());
            }
        }
        List<ContainerMounts.Target> targets = new ArrayList<>();
        for (InjectedFile file : files) {
            String name = byHostPath.get(file.hostPath());
            if (name != null) {
                targets.add(new ContainerMounts.Target(file, name));
            }
        }
        if (targets.isEmpty()) {
            return null;
        }
        Set<String> existing = existingEphemeralNames(oldObject);
        ContainerMounts mounts = new ContainerMounts(volumes);
        PatchBuilder patch = new PatchBuilder();
        List<ContainerMounts.Skipped> skipped = new ArrayList<>();
        for (PodShape.Container container : PodShape.containers(spec, "ephemeralContainers")) {
            if (!existing.contains(container.name())) {
                mounts.mount(container, targets, patch, skipped);
            }
        }
        return new PodInjection.Plan(patch, !patch.isEmpty(), skipped, true);
    }

    /** The ephemeral containers the pod had before this update; read leniently: the old pod was admitted already. */
    private static Set<String> existingEphemeralNames(ObjectNode oldObject) {
        Set<String> names = new HashSet<>();
        JsonNode list = oldObject == null ? null : oldObject.path("spec").get("ephemeralContainers");
        if (list != null && list.isArray()) {
            for (JsonNode container : list) {
                String name = Json.textOrNull(container, "name");
                if (name != null) {
                    names.add(name);
                }
            }
        }
        return names;
    }
}
