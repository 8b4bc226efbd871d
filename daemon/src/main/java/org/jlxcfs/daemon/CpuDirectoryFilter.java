package org.jlxcfs.daemon;

import org.jlxcfs.fuse.Caller;
import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.FuseError;
import org.jlxcfs.fuse.tree.ChildFilter;
import org.jlxcfs.view.ContainerResolver;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.cgroup.CpuView;
import org.jlxcfs.view.host.Host;
import org.jlxcfs.view.host.ProcessInfo;

import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Shows a container only the {@code cpuN} directories of sys/devices/system/cpu for the CPUs it
 * is shown (N below its CPU count, as online, cpuinfo and stat number them); every other entry
 * is the host's. The kernel asks on every lookup and listing through the directory, so each
 * reader's count is kept for a second.
 */
final class CpuDirectoryFilter implements ChildFilter {
    private static final Pattern CPU_DIR = Pattern.compile("cpu(\\d+)");
    private static final long KEEP_NANOS = 1_000_000_000L;

    private final ContainerResolver resolver;
    private final Host host;
    private final ViewOptions options;
    private final ConcurrentHashMap<Integer, long[]> counts = new ConcurrentHashMap<>();

    CpuDirectoryFilter(ContainerResolver resolver, Host host, ViewOptions options) {
        this.resolver = resolver;
        this.host = host;
        this.options = options;
    }

    @Override
    public boolean visible(Caller caller, String name) throws FuseError {
        var m = CPU_DIR.matcher(name);
        if (!m.matches()) return true;
        return Integer.parseInt(m.group(1)) < count(caller.pid());
    }

    private int count(int pid) throws FuseError {
        long now = System.nanoTime();
        long[] cached = counts.get(pid);
        if (cached != null && now - cached[1] < KEEP_NANOS) return (int) cached[0];
        try {
            int n = CpuView.of(resolver.resolve(pid), host, options).count();
            if (counts.size() > 4096) counts.clear(); // readers come and go; this only bounds the map
            counts.put(pid, new long[] {n, now});
            return n;
        } catch (ProcessInfo.GoneException e) {
            throw FuseError.of(Errno.ESRCH);
        } catch (IOException | RuntimeException e) {
            throw FuseError.of(Errno.EIO, "sys/devices/system/cpu for pid " + pid + ": " + e.getMessage());
        }
    }
}
