package org.jlxcfs.view.cgroup;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cgroups of one process, per hierarchy, as /proc/PID/cgroup lists them (with a trailing
 * {@code /init.scope} trimmed, as LXCFS does, so systemd-in-container sees its container's
 * limits), and the lookup of a resource's cgroup whatever the layout.
 */
public final class ContainerCgroups {
    private final CgroupLayout layout;
    private final Map<String, String> v1Paths;
    private final String unifiedPath;
    /**
     * Every read looks its container's shared rendering up by these; the map keeps the first
     * instance as its key and every later resolution makes a new one, so equality is one string
     * comparison (the paths in controller order), not a walk over two maps.
     */
    private final String key;
    private final int hash;

    public ContainerCgroups(CgroupLayout layout, Map<String, String> v1Paths, String unifiedPath) {
        this.layout = layout;
        this.v1Paths = Map.copyOf(v1Paths);
        this.unifiedPath = unifiedPath;
        this.key = key(this.v1Paths, unifiedPath);
        this.hash = key.hashCode();
    }

    /**
     * Unambiguous whatever a container names its cgroups: a path holds neither NUL nor a newline
     * (the lines of /proc/PID/cgroup are split at newlines), controller names are the kernel's.
     */
    private static String key(Map<String, String> v1Paths, String unifiedPath) {
        StringBuilder sb = new StringBuilder();
        new java.util.TreeMap<>(v1Paths).forEach((c, p) -> sb.append(c).append('\0').append(p).append('\n'));
        return unifiedPath == null ? sb.toString() : sb.append('\0').append(unifiedPath).toString();
    }

    /** Parses the lines of /proc/PID/cgroup ("4:cpu,cpuacct:/path", "0::/path"). */
    public static ContainerCgroups parse(CgroupLayout layout, List<String> lines) {
        Map<String, String> v1 = new HashMap<>();
        String unified = null;
        for (String line : lines) {
            int a = line.indexOf(':');
            int b = a < 0 ? -1 : line.indexOf(':', a + 1);
            if (b < 0) continue;
            String controllers = line.substring(a + 1, b);
            String path = trimInitScope(line.substring(b + 1));
            if (controllers.isEmpty()) {
                unified = path;
            } else {
                for (String c : controllers.split(",")) v1.put(c, path);
            }
        }
        return new ContainerCgroups(layout, v1, unified);
    }

    static String trimInitScope(String path) {
        if (path.equals("/init.scope")) return "/";
        return path.endsWith("/init.scope") ? path.substring(0, path.length() - "/init.scope".length()) : path;
    }

    public CgroupLayout layout() {
        return layout;
    }

    /** The cgroup holding a kernel controller ("memory", "cpu", "cpuset", "cpuacct", "blkio", "io", "pids"). */
    public Optional<Cgroup> of(String controller) {
        Optional<Hierarchy> h = layout.hierarchy(controller);
        if (h.isEmpty()) return Optional.empty();
        String path = h.get().v2() ? unifiedPath : v1Paths.get(controller);
        return path == null ? Optional.empty() : Optional.of(new Cgroup(h.get(), path));
    }

    public Optional<Cgroup> memory() {
        return of("memory");
    }

    public Optional<Cgroup> cpu() {
        return of("cpu");
    }

    public Optional<Cgroup> cpuset() {
        return of("cpuset");
    }

    /** CPU time accounting: v1 cpuacct, or the v2 cgroup's cpu.stat (always present on v2). */
    public Optional<Cgroup> cpuAccounting() {
        Optional<Cgroup> acct = of("cpuacct");
        return acct.isPresent() ? acct : unified();
    }

    /** Block I/O accounting: v1 blkio, or v2 io. */
    public Optional<Cgroup> io() {
        Optional<Cgroup> blkio = of("blkio");
        return blkio.isPresent() ? blkio : of("io");
    }

    public Optional<Cgroup> pids() {
        return of("pids");
    }

    /** The unified (v2) cgroup, also on hybrid hosts whose cgroup2 has no controllers. */
    public Optional<Cgroup> unified() {
        return layout.unified().filter(u -> unifiedPath != null).map(u -> new Cgroup(u, unifiedPath));
    }

    /** Equal when they name the same cgroups of the same layout: renderings are shared by that ({@code SharedRendering}). */
    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof ContainerCgroups c && c.hash == hash && c.layout == layout && c.key.equals(key);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "v1=" + v1Paths + " unified=" + unifiedPath;
    }
}
