package org.jlxcfs.view;

import org.jlxcfs.view.cgroup.Cgroup;
import org.jlxcfs.view.cgroup.CgroupLayout;
import org.jlxcfs.view.cgroup.ContainerCgroups;
import org.jlxcfs.view.host.Host;
import org.jlxcfs.view.host.Kept;
import org.jlxcfs.view.host.PidNamespaces;
import org.jlxcfs.view.host.ProcessIdentity;
import org.jlxcfs.view.host.ProcessInfo;
import org.jlxcfs.view.host.Recent;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * From the pid in a FUSE request to the reader's {@link Container}, without fork (the JVM
 * cannot): the reader's pid namespace, that namespace's init (pid 1), and the init's cgroups.
 *
 * <p>LXCFS's rules: the container is described by its init's cgroups (so every process of a
 * container sees the same machine); a reader in the daemon's own pid namespace (a host process,
 * or a container sharing the host's pid namespace) is described by its own cgroups.
 *
 * <p>Inits are cached per pid-namespace inode and checked on every use against the start time
 * recorded when found, so a recycled pid is never mistaken for the init; entries unused for a
 * minute are pruned. A miss asks the kernel (nsfs NS_GET_PID_FROM_PIDNS, Linux 6.11+); on older
 * kernels it walks the reader's ancestors (right for the usual fork tree), then scans /proc
 * (needed for processes entered from outside, such as {@code docker exec} or {@code nsenter},
 * whose parents are outside the namespace).
 */
public final class ContainerResolver {
    private static final System.Logger LOG = System.getLogger("jlxcfs.view");
    private static final long PRUNE_AFTER_NANOS = 60_000_000_000L;

    private final Host host;
    private final CgroupLayout layout;
    private final long ownNamespace;
    /** Ask the kernel (off for fixture trees, whose pid files the kernel knows nothing of). */
    private final boolean useKernel;
    /**
     * Inits by pid-namespace inode. A container can make pid namespaces at will (nested ones), so
     * besides the pruning of idle entries the map holds at most {@value #NAMESPACES}, the least
     * recently used going first (it is found again on its next read).
     */
    static final int NAMESPACES = 4096;
    private final Map<Long, Init> inits;
    private volatile long lastPrune = System.nanoTime();

    private record Init(int pid, long startTime, long lastUsed, long checked) {}

    /**
     * How long a checked answer is trusted without reading /proc again. An init is replaced
     * (and its pid reused) or moved to another cgroup far less often than this; each read of a
     * file would otherwise cost several /proc reads before any cgroup file is read.
     */
    private static final long TRUST_NANOS = 1_000_000_000L;
    /** A container's cgroups, from its init's /proc/PID/cgroup, by the init's identity; kept a second. */
    private final Kept<ProcessIdentity, ContainerCgroups> cgroupsByInit = new Kept<>(4096);
    /**
     * Not yet settled ones too, but only for the sharing time of the file they come from: readers
     * of a young container then share one parse and one instance (which their shared renderings
     * are looked up by).
     */
    private final Kept<ProcessIdentity, ContainerCgroups> youngCgroups = new Kept<>(256, Recent.SHARE_NANOS);
    /** Answers of the last few milliseconds, by reader pid. */
    private final RecentResolutions recent = new RecentResolutions(Recent.SHARE_NANOS);

    public ContainerResolver(Host host, CgroupLayout layout) throws IOException {
        this.host = host;
        this.layout = layout;
        this.ownNamespace = ProcessInfo.pidNamespace(host, (int) ProcessHandle.current().pid());
        this.useKernel = host.proc().equals(java.nio.file.Path.of("/proc"));
        this.inits = boundedMap(NAMESPACES);
    }

    private static Map<Long, Init> boundedMap(int max) {
        return Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Init> eldest) {
                return size() > max;
            }
        });
    }

    /** For tests: a resolver whose "own" pid namespace is given. */
    ContainerResolver(Host host, CgroupLayout layout, long ownNamespace) {
        this(host, layout, ownNamespace, NAMESPACES);
    }

    /** For tests: and how many pid namespaces it keeps. */
    ContainerResolver(Host host, CgroupLayout layout, long ownNamespace, int namespaces) {
        this.host = host;
        this.layout = layout;
        this.ownNamespace = ownNamespace;
        this.useKernel = false;
        this.inits = boundedMap(namespaces);
    }

    public CgroupLayout layout() {
        return layout;
    }

    /**
     * @param pid the reader's pid or thread id in the daemon's pid namespace
     * @throws ProcessInfo.GoneException when the reader (or its container's init) no longer exists
     */
    public Container resolve(int pid) throws IOException {
        if (pid <= 0) throw new ProcessInfo.GoneException(pid); // a reader outside our pid namespace
        long now = System.nanoTime();
        Container c = recent.get(pid, now);
        if (c == null) {
            c = resolveNow(pid);
            recent.put(pid, c, now);
        }
        return c;
    }

    private Container resolveNow(int pid) throws IOException {
        long ns = ProcessInfo.pidNamespace(host, pid);
        if (ns == ownNamespace) {
            return new Container(pid, 1, ContainerCgroups.parse(layout, ProcessInfo.cgroupLines(host, pid)));
        }
        Init init = initOf(ns, pid);
        return new Container(init.pid(), init.pid(), init.startTime(), cgroupsOf(init));
    }

    /**
     * Kept only once the init has run a few seconds: a runtime moves a new container's first
     * process into its cgroups while setting the container up, and the lookups of our files its
     * mounts make already resolve it, in the cgroups it is leaving.
     */
    private ContainerCgroups cgroupsOf(Init init) throws IOException {
        ProcessIdentity id = new ProcessIdentity(init.pid(), init.startTime());
        return cgroupsByInit.get(id, () -> youngCgroups.get(id,
                () -> ContainerCgroups.parse(layout, ProcessInfo.cgroupLines(host, init.pid()))), v -> settled(init));
    }

    private boolean settled(Init init) {
        try {
            return host.uptimeSeconds() - (double) init.startTime() / Host.CLOCK_TICKS > Cgroup.SETTLING_SECONDS;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private Init initOf(long ns, int reader) throws IOException {
        long now = System.nanoTime();
        Init cached = inits.get(ns);
        // Namespace inode numbers are reused as soon as a namespace dies (short-lived containers
        // come and go within a second), so even a recent answer is checked: one readlink says
        // whether that init still lives in this namespace.
        if (cached != null && now - cached.checked() < TRUST_NANOS && sameNamespace(cached.pid(), ns)) {
            if (now - cached.lastUsed() > 100_000_000L) inits.put(ns, new Init(cached.pid(), cached.startTime(), now, cached.checked()));
            return cached;
        }
        if (cached != null && stillInit(cached, ns)) {
            Init checked = new Init(cached.pid(), cached.startTime(), now, now);
            inits.put(ns, checked);
            return checked;
        }
        int found = findInit(ns, reader);
        Init init = new Init(found, ProcessInfo.startTime(host, found), now, now);
        inits.put(ns, init);
        prune(now);
        return init;
    }

    private boolean sameNamespace(int pid, long ns) {
        try {
            return ProcessInfo.pidNamespace(host, pid) == ns;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean stillInit(Init init, long ns) {
        try {
            return ProcessInfo.startTime(host, init.pid()) == init.startTime()
                    && ProcessInfo.pidNamespace(host, init.pid()) == ns;
        } catch (IOException e) {
            return false; // gone: find the namespace's init again
        }
    }

    private int findInit(long ns, int reader) throws IOException {
        if (useKernel) {
            try {
                OptionalInt init = PidNamespaces.initOf(host.proc().resolve(reader + "/ns/pid").toString());
                if (init.isPresent()) return init.getAsInt();
            } catch (PidNamespaces.NoInitException e) {
                throw new ProcessInfo.GoneException(reader);
            }
        }
        // Ancestors first: the init is usually one of them.
        int p = reader;
        for (int depth = 0; depth < 64 && p > 1; depth++) {
            try {
                if (ProcessInfo.pidNamespace(host, p) != ns) break;
                if (ProcessInfo.innermostPid(host, p) == 1) return p;
                p = ProcessInfo.parent(host, p);
            } catch (ProcessInfo.GoneException e) {
                break;
            }
        }
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(host.proc(), "[0-9]*")) {
            for (Path dir : procs) {
                int candidate;
                try {
                    candidate = Integer.parseInt(dir.getFileName().toString());
                    if (ProcessInfo.pidNamespace(host, candidate) == ns && ProcessInfo.innermostPid(host, candidate) == 1) {
                        return candidate;
                    }
                } catch (NumberFormatException | IOException e) {
                    // exited during the scan, or not a process directory: next
                }
            }
        }
        // The namespace has no init any more (it is being torn down).
        throw new ProcessInfo.GoneException(reader);
    }

    private void prune(long now) {
        if (now - lastPrune < 10_000_000_000L) return;
        lastPrune = now;
        int before = inits.size();
        synchronized (inits) {
            inits.values().removeIf(i -> now - i.lastUsed() > PRUNE_AFTER_NANOS);
        }
        if (inits.size() != before) {
            LOG.log(System.Logger.Level.DEBUG, "pruned " + (before - inits.size()) + " idle pid namespaces");
        }
    }

    /** Pid namespaces with a cached init (for metrics and tests). */
    public int cachedNamespaces() {
        return inits.size();
    }
}
