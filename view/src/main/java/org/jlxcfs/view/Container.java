package org.jlxcfs.view;

import org.jlxcfs.view.cgroup.ContainerCgroups;
import org.jlxcfs.view.host.Host;
import org.jlxcfs.view.host.ProcessInfo;

import java.io.IOException;

/**
 * The container a reader belongs to, as far as the views care.
 *
 * @param pid            the process whose cgroups describe the container: the init (pid 1) of the
 *                       reader's pid namespace, or the reader itself when it shares the host's pid
 *                       namespace
 * @param initPid        the init of the reader's pid namespace in the daemon's numbering (host 1
 *                       for host-namespace readers): uptime counts from its start
 * @param initStartTicks that init's start time in clock ticks since boot, as the resolver checked
 *                       it; negative when not known yet
 * @param cgroups        the container's cgroups
 */
public record Container(int pid, int initPid, long initStartTicks, ContainerCgroups cgroups) {
    public Container(int pid, int initPid, ContainerCgroups cgroups) {
        this(pid, initPid, -1, cgroups);
    }

    /**
     * Every read looks its container's shared rendering up by it ({@code SharedRendering}). Written
     * out: a record's own equals and hashCode go through method handles, which the daemon's
     * compiler (C1 only) does not inline; they were 12% of a worker's time reading loadavg.
     */
    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof Container c && c.pid == pid && c.initPid == initPid
                && c.initStartTicks == initStartTicks && java.util.Objects.equals(c.cgroups, cgroups);
    }

    @Override
    public int hashCode() {
        return ((31 * pid + initPid) * 31 + Long.hashCode(initStartTicks)) * 31 + java.util.Objects.hashCode(cgroups);
    }

    /** The init's start time: as the resolver found it, else from /proc/INIT/stat. */
    public long initStart(Host host) throws IOException {
        return initStartTicks >= 0 ? initStartTicks : ProcessInfo.startTime(host, initPid);
    }
}
