package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * What the webhook reads of a pod, read with type checks: the volumes and the containers' mounts. Everything else
 * stays in the tree, untouched and never re-serialised.
 */
final class PodShape {
    /** The three container lists, in the order they are mutated. */
    static final List<String> CONTAINER_FIELDS = List.of("containers", "initContainers", "ephemeralContainers");

    /** A volume; {@code hostPath} is the normal form of its hostPath source, null for other sources. */
    record Volume(String name, String hostPath) {}

    /** A mount; {@code path} is the normal form of its mountPath. */
    record Mount(String name, String path) {}

    /** One container of one of the lists; {@code hasMounts}: it has a volumeMounts array to append to. */
    record Container(String field, int index, String name, boolean hasMounts, List<Mount> mounts) {
        String pointer() {
            return "/spec/" + field + "/" + index + "/volumeMounts";
        }
    }

    private PodShape() {}

    static List<Volume> volumes(ObjectNode spec) throws Rejection {
        ArrayNode array = Json.array(spec, "volumes", "spec");
        if (array == null) {
            return List.of();
        }
        List<Volume> volumes = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String where = "spec.volumes[" + i + "]";
            JsonNode volume = elementObject(array, i, where);
            String name = requiredText(volume, "name", where);
            ObjectNode hostPath = Json.object(volume, "hostPath", where);
            String path = hostPath == null ? null : Json.text(hostPath, "path", where + ".hostPath");
            volumes.add(new Volume(name, path == null ? null : MountPaths.normalise(path)));
        }
        return volumes;
    }

    static List<Container> containers(ObjectNode spec, String field) throws Rejection {
        ArrayNode array = Json.array(spec, field, "spec");
        if (array == null) {
            return List.of();
        }
        List<Container> containers = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String where = "spec." + field + "[" + i + "]";
            JsonNode container = elementObject(array, i, where);
            String name = requiredText(container, "name", where);
            ArrayNode mountArray = Json.array(container, "volumeMounts", where);
            List<Mount> mounts = new ArrayList<>(mountArray == null ? 0 : mountArray.size());
            if (mountArray != null) {
                for (int m = 0; m < mountArray.size(); m++) {
                    String mountWhere = where + ".volumeMounts[" + m + "]";
                    JsonNode mount = elementObject(mountArray, m, mountWhere);
                    mounts.add(new Mount(requiredText(mount, "name", mountWhere),
                            MountPaths.normalise(requiredText(mount, "mountPath", mountWhere))));
                }
            }
            containers.add(new Container(field, i, name, mountArray != null, mounts));
        }
        return containers;
    }

    private static JsonNode elementObject(ArrayNode array, int index, String where) throws Rejection {
        JsonNode node = array.get(index);
        if (!node.isObject()) {
            throw new Rejection(Reason.MALFORMED_POD, where + " is not an object");
        }
        return node;
    }

    private static String requiredText(JsonNode parent, String field, String where) throws Rejection {
        String text = Json.text(parent, field, where);
        if (text == null) {
            throw new Rejection(Reason.MALFORMED_POD, where + "." + field + " is missing");
        }
        return text;
    }
}
