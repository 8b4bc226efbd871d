package org.jlxcfs.view.cgroup;

import org.jlxcfs.view.host.MountInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which cgroup hierarchies exist and which controller lives where: pure v1 ("legacy"), hybrid
 * (v1 controllers plus an empty or partial cgroup2) or pure v2 ("unified"), from mountinfo.
 */
public final class CgroupLayout {
    /** Kernel v1 subsystems we may read. */
    private static final Set<String> V1_CONTROLLERS = Set.of("cpu", "cpuacct", "cpuset", "memory", "blkio", "pids",
            "devices", "freezer", "net_cls", "net_prio", "perf_event", "hugetlb", "rdma", "misc");

    public enum Mode { LEGACY, HYBRID, UNIFIED }

    private final Map<String, Hierarchy> byController;
    private final Hierarchy unified;
    private final List<Hierarchy> all;

    private CgroupLayout(Map<String, Hierarchy> byController, Hierarchy unified, List<Hierarchy> all) {
        this.byController = byController;
        this.unified = unified;
        this.all = all;
    }

    /**
     * Discovers the layout from mountinfo lines. Only cgroup mounts at or below {@code cgroupRoot}
     * count (container runtimes mount more copies elsewhere); the first mount of a hierarchy wins.
     */
    public static CgroupLayout discover(List<String> mountinfo, Path cgroupRoot) throws IOException {
        Map<String, Hierarchy> byController = new LinkedHashMap<>();
        List<Hierarchy> all = new ArrayList<>();
        Hierarchy unified = null;
        for (MountInfo m : MountInfo.parse(mountinfo)) {
            Path mp = Path.of(m.mountPoint());
            if (!mp.startsWith(cgroupRoot)) continue;
            if (m.fsType().equals("cgroup2")) {
                if (unified != null) continue;
                Set<String> controllers = new HashSet<>();
                Path list = mp.resolve("cgroup.controllers");
                if (Files.isReadable(list)) {
                    for (String c : Files.readString(list).trim().split("\\s+")) if (!c.isEmpty()) controllers.add(c);
                }
                unified = new Hierarchy(true, mp, m.root(), Set.copyOf(controllers));
                all.add(unified);
            } else if (m.fsType().equals("cgroup")) {
                Set<String> controllers = new HashSet<>();
                for (String o : m.superOptions()) {
                    if (V1_CONTROLLERS.contains(o) || o.startsWith("name=")) controllers.add(o);
                }
                if (controllers.isEmpty() || controllers.stream().anyMatch(byController::containsKey)) continue;
                Hierarchy h = new Hierarchy(false, mp, m.root(), Set.copyOf(controllers));
                controllers.forEach(c -> byController.put(c, h));
                all.add(h);
            }
        }
        if (unified != null) {
            for (String c : unified.controllers()) byController.putIfAbsent(c, unified);
        }
        if (all.isEmpty()) throw new IOException("no cgroup hierarchy is mounted below " + cgroupRoot);
        return new CgroupLayout(Map.copyOf(byController), unified, List.copyOf(all));
    }

    public static CgroupLayout discover(Path procRoot, Path cgroupRoot) throws IOException {
        return discover(Files.readAllLines(procRoot.resolve("self/mountinfo")), cgroupRoot);
    }

    public Mode mode() {
        if (unified == null) return Mode.LEGACY;
        return all.size() == 1 ? Mode.UNIFIED : Mode.HYBRID;
    }

    /** The hierarchy carrying a kernel controller ("memory", "cpu", "io", ...), v1 or v2. */
    public Optional<Hierarchy> hierarchy(String controller) {
        return Optional.ofNullable(byController.get(controller));
    }

    public Optional<Hierarchy> unified() {
        return Optional.ofNullable(unified);
    }

    public List<Hierarchy> hierarchies() {
        return all;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(mode().name().toLowerCase()).append(':');
        for (Hierarchy h : all) {
            sb.append(' ').append(h.v2() ? "cgroup2" : String.join(",", new java.util.TreeSet<>(h.controllers())))
                    .append('@').append(h.mountPoint());
            if (h.v2()) sb.append('[').append(String.join(",", new java.util.TreeSet<>(h.controllers()))).append(']');
        }
        return sb.toString();
    }
}
