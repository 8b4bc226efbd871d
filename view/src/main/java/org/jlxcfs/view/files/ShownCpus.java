package org.jlxcfs.view.files;

import org.jlxcfs.view.cgroup.Cgroup;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.cgroup.CpuSet;
import org.jlxcfs.view.cgroup.CpuView;
import org.jlxcfs.view.host.Host;

import java.io.IOException;

/**
 * The CPUs the CPU files show a container, and their names, shared so that cpuinfo, stat and
 * sys/devices/system/cpu agree: when the container sees every online host CPU ("identity") the
 * host's own ids are kept (the host files are served as they are); otherwise the shown CPUs are
 * renumbered 0..count-1 in host id order.
 */
public final class ShownCpus {
    private final CpuView view;
    private final int[] hostIds;
    private final boolean identity;
    private final boolean settled;

    ShownCpus(CpuView view, CpuSet hostOnline, boolean settled) {
        this.view = view;
        this.hostIds = view.visible().ids();
        this.identity = view.visible().equals(hostOnline);
        this.settled = settled;
    }

    public static ShownCpus of(Container container, Host host, ViewOptions options) throws IOException {
        boolean settled = container.cgroups().cpu().map(Cgroup::settled).orElse(true)
                && container.cgroups().cpuset().map(Cgroup::settled).orElse(true);
        return new ShownCpus(CpuView.of(container, host, options), CpuView.hostOnline(host), settled);
    }

    /** From a view already made (tests of the users of this class). */
    public static ShownCpus of(CpuView view, CpuSet hostOnline) {
        return new ShownCpus(view, hostOnline, true);
    }

    /** Made from cgroups old enough that their limits are final ({@link Cgroup#settled}): worth keeping. */
    public boolean settled() {
        return settled;
    }

    CpuView view() {
        return view;
    }

    /** The container is shown exactly the host's online CPUs: nothing to filter or renumber. */
    public boolean identity() {
        return identity;
    }

    public int count() {
        return view.count();
    }

    /** Host ids of the shown CPUs, ascending. */
    int[] hostIds() {
        return hostIds.clone();
    }

    /** Host id of the k-th shown CPU. */
    public int hostId(int k) {
        return hostIds[k];
    }

    /** The id the container sees for the k-th shown CPU. */
    int name(int k) {
        return identity ? hostIds[k] : k;
    }

    /**
     * How many CPUs' worth of time the container may use per second: its quota (e.g. 0.5), at
     * most the CPUs shown; the CPUs shown when it has no quota (or quota counting is off).
     */
    double capacity() {
        double n = count();
        return view.quota().isPresent() ? Math.min(view.quota().getAsDouble(), n) : n;
    }
}
