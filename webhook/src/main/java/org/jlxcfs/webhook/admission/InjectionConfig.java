package org.jlxcfs.webhook.admission;

import java.nio.file.Path;
import java.util.List;

/**
 * What the webhook injects and where it refuses to.
 *
 * @param files        the files (and directories) to inject, relative to the jlxcfs mount, e.g.
 *                     {@code proc/meminfo}; each is mounted at the same path from the container's root
 * @param sourceDir    the jlxcfs mount point on the nodes ({@code /var/lib/jlxcfs})
 * @param ownNamespace the webhook's own namespace, never injected (its pods could not start without it)
 */
public record InjectionConfig(List<String> files, Path sourceDir, String ownNamespace) {
    /** The files injected when none are configured: the ones every runtime accepts over its own. */
    public static final List<String> DEFAULT_FILES = List.of(
            "proc/cpuinfo", "proc/meminfo", "proc/stat", "proc/uptime", "proc/loadavg", "proc/diskstats", "proc/swaps",
            "sys/devices/system/cpu/online");
    public static final Path DEFAULT_SOURCE_DIR = Path.of("/var/lib/jlxcfs");
}
