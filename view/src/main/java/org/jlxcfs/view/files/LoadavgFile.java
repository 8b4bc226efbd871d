package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.cgroup.Cgroup;
import org.jlxcfs.view.host.Host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * /proc/loadavg of the container: {@code 1min 5min 15min running/total lastpid}, from the
 * {@link LoadavgSampler}.
 *
 * <p>The first read of a container registers it with the sampler and shows the task counts of
 * that moment with averages 0.00 (the averages build up from there, as after a boot); later
 * reads show the last sample (at most one interval old).
 *
 * <p>Host file when: loadavg virtualization is off ({@link ViewOptions#loadavg()}), the container
 * has no cpu or unified cgroup, it is in the root cgroup (the host itself, or a container
 * sharing it), or its cgroup has vanished.
 */
public final class LoadavgFile implements VirtualFile {
    private final Host host;
    private final ViewOptions options;
    private final LoadavgSampler sampler;

    public LoadavgFile(Host host, ViewOptions options, LoadavgSampler sampler) {
        this.host = host;
        this.options = options;
        this.sampler = sampler;
    }

    @Override
    public String path() {
        return "proc/loadavg";
    }

    @Override
    public byte[] render(Container container) throws IOException {
        if (!options.loadavg()) return host.procFile("loadavg");
        // the cpu hierarchy on v1 and hybrid; on v2 the unified cgroup, also when the cpu
        // controller is not enabled (tasks are listed in every v2 cgroup)
        Optional<Cgroup> cgroup = container.cgroups().cpu().or(() -> container.cgroups().unified());
        if (cgroup.isEmpty() || cgroup.get().isRoot()) return host.procFile("loadavg");
        Optional<LoadavgSampler.Load> load = sampler.load(cgroup.get(), container.initPid());
        if (load.isEmpty()) return host.procFile("loadavg");
        return load.get().format().getBytes(StandardCharsets.US_ASCII);
    }
}
