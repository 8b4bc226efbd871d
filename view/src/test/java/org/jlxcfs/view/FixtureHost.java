package org.jlxcfs.view;

import org.jlxcfs.view.cgroup.CgroupLayout;
import org.jlxcfs.view.cgroup.ContainerCgroups;
import org.jlxcfs.view.host.Host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fake host in a temp directory: its /proc and /sys files and its cgroup hierarchies, laid out
 * as pure v1 ("legacy"), hybrid (v1 controllers plus an empty cgroup2) or pure v2, so renderers
 * can be tested against every layout with exact expected output.
 *
 * <pre>
 * FixtureHost fx = FixtureHost.v2(tmp).proc("meminfo", "...").cgroup("memory", "/ctr", "memory.max", "1073741824");
 * Container c = fx.container("/ctr");
 * </pre>
 */
public final class FixtureHost {
    public enum Layout { V1, HYBRID, V2 }

    /** The v1 hierarchies a Debian-like host mounts, by mount directory name. */
    private static final List<String> V1_DIRS = List.of("cpu", "cpuacct", "cpuset", "memory", "blkio", "pids");

    private final Path root;
    private final Layout layout;
    private final List<String> mountinfo = new ArrayList<>();

    private FixtureHost(Path root, Layout layout) {
        this.root = root;
        this.layout = layout;
        int id = 30;
        if (layout != Layout.V2) {
            for (String d : V1_DIRS) {
                mkdirs(cgroupRoot().resolve(d));
                mountinfo.add(id++ + " 25 0:" + id + " / " + cgroupRoot().resolve(d) + " rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw," + d);
            }
        }
        Path unified = layout == Layout.V2 ? cgroupRoot() : cgroupRoot().resolve("unified");
        if (layout != Layout.V1) {
            mkdirs(unified);
            write(unified.resolve("cgroup.controllers"), layout == Layout.V2 ? "cpuset cpu io memory hugetlb pids rdma misc\n" : "\n");
            mountinfo.add(id + " 25 0:" + id + " / " + unified + " rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate");
        }
        sys("devices/system/cpu/online", "0-3\n");
    }

    public static FixtureHost v1(Path root) {
        return new FixtureHost(root, Layout.V1);
    }

    public static FixtureHost hybrid(Path root) {
        return new FixtureHost(root, Layout.HYBRID);
    }

    public static FixtureHost v2(Path root) {
        return new FixtureHost(root, Layout.V2);
    }

    public static FixtureHost of(Layout layout, Path root) {
        return new FixtureHost(root, layout);
    }

    public Layout layout() {
        return layout;
    }

    public Path cgroupRoot() {
        return root.resolve("sys/fs/cgroup");
    }

    /** Writes a host /proc file ("meminfo", "pressure/cpu", "42/stat"). */
    public FixtureHost proc(String name, String content) {
        write(root.resolve("proc").resolve(name), content);
        return this;
    }

    /** Writes a host /sys file ("devices/system/cpu/online"). */
    public FixtureHost sys(String name, String content) {
        write(root.resolve("sys").resolve(name), content);
        return this;
    }

    /**
     * Writes a file of a cgroup. {@code controller} picks the hierarchy: a v1 controller name on
     * V1 and HYBRID ("memory", "cpu", "cpuacct", "cpuset", "blkio", "pids"), ignored on V2 (one
     * hierarchy). Use "unified" for the hybrid host's empty cgroup2.
     */
    public FixtureHost cgroup(String controller, String path, String file, String content) {
        write(cgroupDir(controller, path).resolve(file), content);
        return this;
    }

    public Path cgroupDir(String controller, String path) {
        Path base = switch (layout) {
            case V2 -> cgroupRoot();
            case HYBRID -> controller.equals("unified") ? cgroupRoot().resolve("unified") : cgroupRoot().resolve(controller);
            case V1 -> cgroupRoot().resolve(controller);
        };
        String rel = path.replaceFirst("^/+", "");
        Path dir = rel.isEmpty() ? base : base.resolve(rel);
        mkdirs(dir);
        return dir;
    }

    public CgroupLayout cgroupLayout() {
        try {
            return CgroupLayout.discover(mountinfo, cgroupRoot());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Host host() {
        return new Host(root.resolve("proc"), root.resolve("sys"));
    }

    /** A container whose every cgroup (each v1 hierarchy and the unified one) is {@code path}. */
    public Container container(String path) {
        return container(path, 100);
    }

    public Container container(String path, int pid) {
        Map<String, String> v1 = new HashMap<>();
        if (layout != Layout.V2) {
            for (String d : V1_DIRS) v1.put(d, path);
        }
        return new Container(pid, pid, new ContainerCgroups(cgroupLayout(), v1, layout == Layout.V1 ? null : path));
    }

    private static void write(Path p, String content) {
        try {
            Files.createDirectories(p.getParent());
            Files.writeString(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void mkdirs(Path p) {
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
