package org.jlxcfs.daemon;

import org.jlxcfs.fuse.Caller;
import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.FuseError;
import org.jlxcfs.fuse.tree.ChildFilter;
import org.jlxcfs.view.ContainerResolver;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.files.ShownCpus;
import org.jlxcfs.view.host.Host;
import org.jlxcfs.view.host.Kept;
import org.jlxcfs.view.host.ProcessIdentity;
import org.jlxcfs.view.host.ProcessInfo;

import java.io.IOException;

/**
 * The {@code cpuN} directories of sys/devices/system/cpu a container is shown, numbered as
 * online, cpuinfo and stat number its CPUs: cpu0..cpu(n-1), each served from the host directory
 * of the CPU behind it (a container on host CPUs 4-5 reads the host's cpu4 as its cpu0). A
 * container shown every online host CPU sees the host's directory as it is. Every other entry is
 * the host's. The kernel asks on every lookup and listing through the directory, so each
 * reader's answer is kept for a second, keyed by the reader's identity (pid + start time: a pid
 * recycled by a process of another container is another key), for the {@value #READERS} most
 * recent readers.
 */
final class CpuDirectoryFilter implements ChildFilter {
    static final int READERS = 4096;

    /** What a reader (by pid) is shown: resolving its container is the costly part kept here. */
    interface Shown {
        ShownCpus of(int pid) throws IOException;
    }

    private final Host host;
    private final Shown shown;
    private final Kept<ProcessIdentity, ShownCpus> byReader;

    CpuDirectoryFilter(ContainerResolver resolver, Host host, ViewOptions options) {
        this(host, pid -> ShownCpus.of(resolver.resolve(pid), host, options), READERS);
    }

    /** For tests: another way to find a reader's CPUs, another bound. */
    CpuDirectoryFilter(Host host, Shown shown, int readers) {
        this.host = host;
        this.shown = shown;
        this.byReader = new Kept<>(readers);
    }

    @Override
    public boolean visible(Caller caller, String name) throws FuseError {
        int n = cpuNumber(name);
        if (n < 0) return true;
        ShownCpus cpus = cpusOf(caller.pid());
        return cpus.identity() || n < cpus.count();
    }

    @Override
    public String hostName(Caller caller, String name) throws FuseError {
        int n = cpuNumber(name);
        if (n < 0) return name;
        ShownCpus cpus = cpusOf(caller.pid());
        return cpus.identity() || n >= cpus.count() ? name : "cpu" + cpus.hostId(n);
    }

    /** N of a {@code cpuN} name; -1 for any other name (cpufreq, cpuidle, online...). */
    static int cpuNumber(String name) {
        if (!name.startsWith("cpu") || name.length() == 3 || name.length() > 12) return -1;
        int n = 0;
        for (int i = 3; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') return -1;
            n = n * 10 + (c - '0');
        }
        return n;
    }

    private ShownCpus cpusOf(int pid) throws FuseError {
        try {
            return byReader.get(ProcessIdentity.of(host, pid), () -> shown.of(pid), ShownCpus::settled);
        } catch (ProcessInfo.GoneException e) {
            throw FuseError.of(Errno.ESRCH);
        } catch (IOException | RuntimeException e) {
            throw FuseError.of(Errno.EIO, "sys/devices/system/cpu for pid " + pid + ": " + e.getMessage());
        }
    }
}
