package org.jlxcfs.view.cgroup;

import java.nio.file.Path;
import java.util.Set;

/**
 * One mounted cgroup hierarchy.
 *
 * @param v2          cgroup2 (unified) rather than a v1 hierarchy
 * @param mountPoint  where it is mounted in the daemon's mount namespace
 * @param mountRoot   the cgroup path mounted there ("/" unless mounted from inside a cgroup namespace)
 * @param controllers kernel controller names it carries (v1: from the mount options; v2: from the
 *                    root's cgroup.controllers), plus "name=..." for named v1 hierarchies
 */
public record Hierarchy(boolean v2, Path mountPoint, String mountRoot, Set<String> controllers) {
    public boolean has(String controller) {
        return controllers.contains(controller);
    }
}
