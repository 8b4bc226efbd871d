package org.jlxcfs.view;

import org.jlxcfs.view.cgroup.ContainerCgroups;

/**
 * The container a reader belongs to, as far as the views care.
 *
 * @param pid     the process whose cgroups describe the container: the init (pid 1) of the
 *                reader's pid namespace, or the reader itself when it shares the host's pid
 *                namespace
 * @param initPid the init of the reader's pid namespace in the daemon's numbering (host 1 for
 *                host-namespace readers): uptime counts from its start
 */
public record Container(int pid, int initPid, ContainerCgroups cgroups) {}
