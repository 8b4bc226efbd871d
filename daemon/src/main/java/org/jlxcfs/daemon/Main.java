package org.jlxcfs.daemon;

import org.jlxcfs.daemon.aot.NativeWarmup;
import org.jlxcfs.daemon.keeper.KeeperClient;
import org.jlxcfs.daemon.keeper.KeeperLauncher;
import org.jlxcfs.daemon.keeper.KeeperReattach;
import org.jlxcfs.daemon.keeper.ProcessIdentity;
import org.jlxcfs.daemon.health.HealthServer;
import org.jlxcfs.daemon.health.ServingState;
import org.jlxcfs.daemon.psi.PsiTriggers;
import org.jlxcfs.daemon.psi.TriggerStore;
import org.jlxcfs.daemon.node.KubernetesOptions;
import org.jlxcfs.daemon.node.NodeLabel;
import org.jlxcfs.daemon.remount.LxcfsMounts;
import org.jlxcfs.daemon.remount.RemountAgent;
import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.FuseConfig;
import org.jlxcfs.fuse.InitState;
import org.jlxcfs.fuse.Libc;
import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.FuseSession;
import org.jlxcfs.fuse.MountPointException;
import org.jlxcfs.fuse.tree.VirtualTree;
import org.jlxcfs.view.ContainerResolver;
import org.jlxcfs.view.cgroup.CgroupLayout;
import org.jlxcfs.webhook.WebhookCommand;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sun.misc.Signal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;

/** {@code jlxcfs [OPTIONS] [MOUNTPOINT]}: mounts the tree and serves it in the foreground until SIGTERM or SIGINT. */
@Command(name = "jlxcfs", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        subcommands = {ShowCommand.class, KeeperCommand.class, RestartCommand.class, RemountCommand.class, WebhookCommand.class,
                AotTrainCommand.class},
        description = "Serves container-aware /proc and /sys files over FUSE (in the spirit of LXCFS).",
        sortOptions = false, usageHelpAutoWidth = true)
public final class Main implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("jlxcfs");
    static final Path DEFAULT_MOUNT_POINT = Path.of("/var/lib/jlxcfs");
    static final Path DEFAULT_KEEPER_SOCKET = Path.of("/run/jlxcfs/keeper.sock");

    @Parameters(index = "0", arity = "0..1", paramLabel = "MOUNTPOINT",
            description = "Where to mount (default: ${DEFAULT-VALUE}); created if missing.",
            defaultValue = "/var/lib/jlxcfs")
    Path mountPoint = DEFAULT_MOUNT_POINT;

    @Option(names = "--threads", paramLabel = "N",
            description = "FUSE worker threads, each with its own /dev/fuse fd (default: min(2 × cores, 4) = ${DEFAULT-VALUE}).")
    int threads = FuseConfig.defaultThreads();

    @Option(names = "--no-pin-workers",
            description = "Let the scheduler place the FUSE worker threads anywhere; by default each is pinned to its share "
                    + "of the CPUs this daemon may use, which keeps a reader and the worker answering it on one CPU.")
    boolean noPinWorkers;

    @Option(names = "--replace",
            description = "Detach a jlxcfs mount (live or dead) already at MOUNTPOINT instead of refusing to start.")
    boolean replace;

    @Option(names = {"-f", "--foreground"}, description = "Accepted for LXCFS compatibility; jlxcfs always runs in the foreground.")
    boolean foreground;

    @Option(names = {"-d", "--debug"}, description = "Log every decision (FINE level).")
    boolean debug;

    @Option(names = "--disable-psi-triggers",
            description = "Refuse PSI triggers: /proc/pressure/* stay read-only (opening one for writing gets EROFS) "
                    + "and poll(2) on them answers as on any file. By default a trigger written there is created on the "
                    + "writer's container's cgroup pressure file, where the kernel has PSI.")
    boolean disablePsiTriggers;

    @Mixin
    ViewSettings view = new ViewSettings();

    @ArgGroup(exclusive = false, validate = false, heading = "%nRestarts and hand-over:%n", order = 10)
    RestartOptions restarts = new RestartOptions();

    @ArgGroup(exclusive = false, validate = false, heading = "%nOn a Kubernetes node:%n", order = 20)
    KubernetesOptions kubernetes = new KubernetesOptions();

    /** What SIGTERM means outside systemd: stop serving and unmount, or leave the connection to the keeper. */
    enum OnTerm { handover, unmount }

    /** Who holds the connection across restarts, what SIGTERM means, and what is repaired after a fresh mount. */
    static final class RestartOptions {
        @Option(names = "--keeper-socket", paramLabel = "PATH", order = 10,
                description = "The keeper that holds the FUSE connection across restarts (default: ${DEFAULT-VALUE}); "
                        + "started if none answers.")
        Path keeperSocket = DEFAULT_KEEPER_SOCKET;

        @Option(names = "--keeper-wait", paramLabel = "SECONDS", order = 11,
                description = "Start no keeper: wait up to SECONDS for one run elsewhere (its own container or pod) to "
                        + "answer on --keeper-socket, and exit 1 if none does.")
        Integer keeperWait;

        @Option(names = "--no-keeper", order = 12,
                description = "Run without a keeper: a restart or crash of the daemon then breaks the mount, as with LXCFS.")
        boolean noKeeper;

        @Option(names = "--on-term", paramLabel = "ACTION", order = 13,
                description = "What SIGTERM does outside systemd: ${COMPLETION-CANDIDATES}. unmount (default) stops serving and "
                        + "unmounts; handover leaves the connection to the keeper for the next daemon (as in a pod) and exits 0. "
                        + "SIGINT always unmounts.")
        OnTerm onTerm = OnTerm.unmount;

        @Option(names = "--no-remount", order = 14,
                description = "After a fresh mount, do not re-bind stale files in running containers.")
        boolean noRemount;

        @Option(names = "--remount-lxcfs", paramLabel = "PATH", order = 15,
                description = "After a fresh mount, also move containers' dead binds from the LXCFS mount at PATH (e.g. "
                        + "/host/var/lib/lxcfs) over to jlxcfs; repeatable. With --replace, a dead fuse.lxcfs mount at "
                        + "MOUNTPOINT is detached too (never a live one).")
        List<Path> remountLxcfs = new ArrayList<>();

        /** Why these options cannot be used together (one line naming the option), or empty. */
        Optional<String> refusal() {
            if (keeperWait != null && (keeperWait < 0 || keeperWait > 3600)) {
                return Optional.of("--keeper-wait must be between 0 and 3600 seconds, got " + keeperWait);
            }
            if (noKeeper && keeperWait != null) return Optional.of("--keeper-wait needs a keeper; it contradicts --no-keeper");
            if (noKeeper && onTerm == OnTerm.handover) {
                return Optional.of("--on-term=handover needs a keeper to hand over to; it contradicts --no-keeper");
            }
            for (Path p : remountLxcfs) {
                if (!p.isAbsolute()) return Optional.of("--remount-lxcfs must be an absolute path, got '" + p + "'");
            }
            if (noRemount && !remountLxcfs.isEmpty()) return Optional.of("--remount-lxcfs contradicts --no-remount");
            return Optional.empty();
        }
    }

    public static void main(String[] args) {
        StartTimes.mark("JVM to main()");
        // the daemon's own command line (no subcommand): link libc while picocli parses
        if (args.length == 0 || !SUBCOMMANDS.contains(args[0])) NativeWarmup.start();
        System.exit(run(args));
    }

    private static final Set<String> SUBCOMMANDS = Set.of("show", "keeper", "restart", "remount", "webhook", "aot-train");

    static int run(String... args) {
        Main quick = QuickArgs.parse(args);
        if (quick != null) {
            // the daemon's own command line: the keeper's answer comes while the tree is built
            if (!quick.restarts.noKeeper && quick.restarts.keeperWait == null && Systemd.fromEnvironment().isEmpty()) {
                quick.ahead = KeeperAhead.start(quick.restarts.keeperSocket, quick.mountPoint);
            }
            return quick.callAsPicocliWould();
        }
        CommandLine cl = new CommandLine(new Main());
        CliErrors.install(cl);
        return cl.execute(args);
    }

    /** {@link #call()} with picocli's exit codes: its result (0 for null), 1 with the stack trace for an exception. */
    private int callAsPicocliWould() {
        StartTimes.mark("arguments");
        try {
            Integer code = call();
            return code == null ? 0 : code;
        } catch (Exception e) {
            e.printStackTrace();
            return 1;
        }
    }

    /** Argument checks before anything is started or mounted: one line and exit 2 for each refusal; null when all is well. */
    private Integer checkArguments() {
        Optional<String> refusal = CliErrors.mountPointRefusal(mountPoint);
        if (refusal.isEmpty() && (threads < 1 || threads > 64)) {
            refusal = Optional.of("jlxcfs: --threads must be between 1 and 64, got " + threads);
        }
        if (refusal.isEmpty()) refusal = restarts.refusal().map(r -> "jlxcfs: " + r);
        if (refusal.isEmpty()) refusal = kubernetes.refusal(System.getenv()).map(r -> "jlxcfs: " + r);
        refusal.ifPresent(System.err::println);
        return refusal.isPresent() ? 2 : null;
    }

    @Override
    public Integer call() throws Exception {
        Integer refused = checkArguments();
        if (refused != null) return refused;
        StartTimes.mark("argument checks");
        Logging.configure(debug ? Level.FINE : Level.INFO);
        StartTimes.mark("logging");
        HealthServer health = null;
        if (kubernetes.healthPort != null) {
            // up before the slow part of the start, so a liveness probe passes while readiness waits
            try {
                health = HealthServer.start(kubernetes.healthSocketAddress(), lifecycle, versionNumber());
            } catch (IOException e) {
                System.err.println("jlxcfs: " + e.getMessage());
                return 1;
            }
        }
        try {
            return mountAndServe();
        } finally {
            lifecycle.enter(ServingState.Phase.STOPPED);
            if (health != null) health.close();
        }
    }

    private Integer mountAndServe() throws Exception {
        if (!Files.exists(Path.of("/dev/fuse"))) {
            System.err.println("jlxcfs: /dev/fuse is missing: load the fuse module (modprobe fuse) or, in a container, "
                    + "pass the device (--device /dev/fuse)");
            return 1;
        }
        CgroupLayout layout;
        try {
            layout = CgroupLayout.discover(view.procRoot, view.cgroupRoot);
            StartTimes.mark("cgroups");
        } catch (IOException e) {
            System.err.println("jlxcfs: cannot find the cgroup hierarchies: " + e.getMessage());
            return 1;
        }
        LOG.log(System.Logger.Level.INFO, new Version().getVersion()[0] + ", pid " + ProcessHandle.current().pid()
                + "; cgroups: " + layout);
        warnOnOwnCgroupNamespace();
        StartTimes.mark("version log and cgroup namespace");
        try (FileSet files = FileSet.create(view.host(), view.options()); PsiTriggers triggers = psiTriggers()) {
            StartTimes.mark("file set");
            VirtualTree tree = ViewTree.build(files.files(), new ContainerResolver(view.host(), layout), view.host(),
                    view.options(), triggers);
            if (triggers != null) triggers.ownHandles(tree::ownsHandle);
            StartTimes.mark("tree");
            if (triggers != null) {
                triggers.start();
                StartTimes.mark("PSI triggers");
            }
            files.start();
            Optional<Systemd> systemd = Systemd.fromEnvironment();
            KeeperClient keeper = null;
            if (ahead != null && systemd.isPresent()) ahead.discard();
            if (!restarts.noKeeper && systemd.isEmpty()) {
                try {
                    early = ahead == null ? null : ahead.held();
                    keeper = early != null ? new KeeperClient(restarts.keeperSocket) : restarts.keeperWait != null
                            ? KeeperLauncher.awaitRunning(restarts.keeperSocket, java.time.Duration.ofSeconds(restarts.keeperWait))
                            : KeeperLauncher.ensureRunning(restarts.keeperSocket);
                    StartTimes.mark("keeper connected");
                } catch (IOException e) {
                    System.err.println("jlxcfs: " + e.getMessage()
                            + (restarts.keeperWait != null ? "" : " (use --no-keeper to run without one)"));
                    return 1;
                }
            }
            FuseConfig config = FuseConfig.defaults("jlxcfs").withThreads(threads).withPinWorkers(!noPinWorkers);
            FuseSession session;
            try {
                // the keeper (or systemd's fd store) gets every fd before any worker reads a request
                KeeperClient k = keeper;
                FuseSession.BeforeServing handOff = s -> {
                    handOff(k, systemd, s);
                    keepTriggers(k, systemd, false);
                };
                session = systemd.isPresent() ? takeOverFromSystemd(tree, config, handOff) : takeOver(keeper, tree, config, handOff);
                boolean fresh = session == null;
                if (fresh) {
                    prepareLxcfsMigration();
                    session = FuseSession.mount(mountPoint, tree, config, replace, s -> {
                        handOff(k, systemd, s);
                        keepTriggers(k, systemd, true);
                    });
                    if (!restarts.noRemount) RemountAgent.remember(history(), session.device());
                }
                if (triggers != null) triggers.attach(session.masterFd());
                lifecycle.enter(ServingState.Phase.SERVING);
                StartTimes.mark("serving");
                StartTimes.log();
                askPredecessorToHandOver();
                if (fresh) repairContainers();
            } catch (MountPointException e) {
                System.err.println("jlxcfs: " + e.getMessage());
                return 1;
            } catch (IOException e) {
                System.err.println("jlxcfs: cannot mount " + mountPoint + ": " + e.getMessage()
                        + (e.getMessage().contains("EPERM") ? " (mounting needs root or CAP_SYS_ADMIN)" : ""));
                return 1;
            }
            NodeLabel label = null;
            if (kubernetes.nodeLabel) {
                label = NodeLabel.of(kubernetes.apiServer(System.getenv()), NodeLabel.serviceAccountDir(),
                        kubernetes.nodeName(System.getenv()));
                label.apply();
            }
            try {
                return serve(session, keeper, systemd, label);
            } finally {
                if (label != null) label.close();
            }
        }
    }

    /** The PSI trigger table, or null when off (by option, or no PSI in this kernel: no /proc/pressure/cpu). */
    private PsiTriggers psiTriggers() {
        if (disablePsiTriggers) return null;
        if (!Files.exists(view.host().proc().resolve("pressure/cpu"))) {
            LOG.log(System.Logger.Level.INFO, "no " + view.host().proc().resolve("pressure/cpu")
                    + " (kernel without PSI, or psi=0): no PSI triggers");
            return null;
        }
        PsiTriggers t = new PsiTriggers(view.host().proc(), PsiTriggers.DEFAULT_PER_CONTAINER, PsiTriggers.DEFAULT_TOTAL);
        lifecycle.psiTriggers(t::held);
        triggers = t;
        return t;
    }

    /** The keeper's answer asked for at start (the daemon's everyday command line), or null. */
    private KeeperAhead ahead;
    /** That answer once the keeper is reached, null when it must be asked the usual way. */
    private Optional<KeeperClient.Session> early;

    /** Set while serving with PSI triggers on. */
    private PsiTriggers triggers;

    /** What the probes and metrics report; moved on by the lifecycle below. */
    private final ServingState lifecycle = new ServingState();

    private static String versionNumber() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }

    /**
     * In a container, the daemon must see the host's cgroup tree as the host does: a private
     * cgroup namespace shows it cgroup paths relative to its own, and every reader is then matched
     * to the wrong cgroup. Hence the manifests' {@code nsenter --cgroup=/proc/1/ns/cgroup}.
     */
    private void warnOnOwnCgroupNamespace() {
        try {
            Path own = Files.readSymbolicLink(view.procRoot.resolve("self/ns/cgroup"));
            Path init = Files.readSymbolicLink(view.procRoot.resolve("1/ns/cgroup"));
            if (!own.equals(init)) {
                LOG.log(System.Logger.Level.WARNING, "this process's cgroup namespace (" + own + ") is not that of pid 1 ("
                        + init + "): containers' cgroups will be resolved wrongly; in a container run "
                        + "'nsenter --cgroup=/proc/1/ns/cgroup -- jlxcfs ...' with the host's pid namespace");
            }
        } catch (IOException | UnsupportedOperationException e) {
            // pid 1's namespace is not ours to read (no privilege, or another pid namespace): nothing to compare
        }
    }

    /**
     * Before a fresh mount: remembers which LXCFS devices the {@code --remount-lxcfs} mount points
     * hold (a stopped LXCFS leaves nothing there to ask later), and with {@code --replace} detaches
     * a dead LXCFS mount from our own mount point (the lxcfs-compat layout mounts at LXCFS's path).
     */
    private void prepareLxcfsMigration() throws IOException {
        for (Path p : restarts.remountLxcfs) LxcfsMounts.record(stateDir(), p);
        if (replace) LxcfsMounts.detachIfDead(mountPoint);
    }

    /**
     * Serves the connection the keeper holds for the mount point, if any: a graceful restart
     * (the previous daemon, the very process the keeper recorded, still runs and is told to hand
     * over once we serve) or a crash recovery (it is gone, or its pid now names another process:
     * the kernel is asked to resend what it had read but not answered). Null when there is
     * nothing to take over.
     */
    private FuseSession takeOver(KeeperClient keeper, VirtualTree tree, FuseConfig config,
                                 FuseSession.BeforeServing handOff) throws IOException, InterruptedException {
        if (keeper == null) return null;
        Optional<KeeperClient.Session> held = early != null ? early : keeper.get(mountPoint);
        StartTimes.mark("keeper GET");
        if (held.isEmpty()) return null;
        KeeperClient.Session h = held.get();
        boolean mounted = early != null ? ahead.mounted() : jlxcfsMounted();
        StartTimes.mark("mount table");
        if (!mounted) {
            LOG.log(System.Logger.Level.WARNING, "the keeper held a connection for " + mountPoint
                    + " that is no longer mounted there; mounting afresh");
            h.closeAll();
            keeper.drop(mountPoint);
            return null;
        }
        // a pidfd opened and checked against the recorded start time: the signal can reach no other process
        predecessor = h.daemon().pid() == ProcessHandle.current().pid() ? Optional.empty() : h.daemon().open();
        int master = h.masterFd();
        // our copies of the predecessor's worker fds: the keeper keeps its own until that daemon has exited
        for (int i = 1; i < h.fds().length; i++) Libc.close(h.fds()[i]);
        if (predecessor.isEmpty() && h.daemon().startTime() >= 0 && h.daemon().pid() != ProcessHandle.current().pid()
                && ProcessHandle.of(h.daemon().pid()).isPresent()) {
            LOG.log(System.Logger.Level.INFO, "pid " + h.daemon().pid() + " now belongs to another process than the "
                    + "daemon the keeper recorded (" + h.daemon() + "): recovering from its crash");
        }
        try {
            FuseSession adopted = FuseSession.adopt(mountPoint, tree, config, master, h.state(), predecessor.isEmpty(), handOff);
            lifecycle.tookOver(predecessor.isPresent() ? ServingState.Takeover.GRACEFUL : ServingState.Takeover.RECOVERY);
            return adopted;
        } catch (IOException | RuntimeException e) {
            predecessor.ifPresent(ProcessIdentity.Pidfd::close);
            predecessor = Optional.empty();
            throw e;
        }
    }

    /**
     * A fresh mount means any container bound to an earlier one (ours or LXCFS's) is left with
     * dead files: re-bind them in the background, so the daemon serves meanwhile.
     */
    private void repairContainers() {
        if (restarts.noRemount) return;
        Thread.ofPlatform().daemon().name("remount-agent").start(() -> {
            try {
                var agent = new RemountAgent(view.procRoot, mountPoint, RemountAgent.readHistory(history()), lxcfsDevices());
                var repairs = agent.find();
                if (repairs.isEmpty()) return;
                LOG.log(System.Logger.Level.INFO, "re-binding " + repairs.size() + " stale files in containers");
                agent.repair(repairs);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "remount agent: " + e.getMessage());
            } catch (InterruptedException ignored) {
                // stopping
            }
        });
    }

    private Path history() {
        return RemountAgent.historyFile(stateDir(), mountPoint);
    }

    /** Where the keeper's socket is: the state that outlives a daemon (devices of earlier mounts) is kept there too. */
    private Path stateDir() {
        return restarts.keeperSocket.toAbsolutePath().getParent();
    }

    /**
     * The LXCFS devices whose dead binds the agent moves over to jlxcfs: none without
     * {@code --remount-lxcfs}; those recorded for its mount points; and when none was ever seen
     * there (LXCFS stopped before jlxcfs first ran), every dead LXCFS bind, as {@code jlxcfs remount} does.
     */
    private Set<String> lxcfsDevices() throws IOException {
        if (restarts.remountLxcfs.isEmpty()) return Set.of();
        Set<String> known = LxcfsMounts.devices(stateDir(), restarts.remountLxcfs);
        if (known.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "no LXCFS mount was ever seen at " + restarts.remountLxcfs
                    + ": moving every dead LXCFS bind over to jlxcfs");
            return null;
        }
        return known;
    }

    /**
     * Under systemd, the connection the unit's fd store passed to this process (the previous
     * process has exited by then, so the kernel is asked to resend what it left unanswered).
     */
    private FuseSession takeOverFromSystemd(VirtualTree tree, FuseConfig config, FuseSession.BeforeServing handOff)
            throws IOException {
        var passed = Systemd.passedFds();
        List<Integer> master = passed.getOrDefault(Systemd.MASTER, List.of());
        List<Integer> state = passed.getOrDefault(Systemd.STATE, List.of());
        passed.forEach((name, fds) -> {
            if (name.startsWith(TriggerStore.PREFIX) && !fds.isEmpty()) {
                passedTriggers.put(name, fds.getFirst());
                fds.subList(1, fds.size()).forEach(Libc::close);
            } else if (!List.of(Systemd.MASTER, Systemd.WORKER, Systemd.STATE).contains(name)) {
                fds.forEach(Libc::close);
            }
        });
        List<Integer> workers = passed.getOrDefault(Systemd.WORKER, List.of());
        if (master.isEmpty() || state.isEmpty()) {
            workers.forEach(Libc::close);
            master.forEach(Libc::close);
            state.forEach(Libc::close);
            return null;
        }
        InitState init = Systemd.readState(state.getFirst());
        state.forEach(Libc::close);
        // the previous process has exited: its requests go back to the queue before any of its worker
        // fds is released (ours now, and the store's at our FDSTOREREMOVE), which would abort them
        if (init.kernelCanResend()) {
            int r = FuseSession.resend(master.getFirst());
            if (r < 0) LOG.log(System.Logger.Level.WARNING, "FUSE_NOTIFY_RESEND failed: " + Errno.describe(-r));
        }
        workers.forEach(Libc::close);
        if (!jlxcfsMounted()) {
            LOG.log(System.Logger.Level.WARNING, "systemd passed a connection no longer mounted at " + mountPoint
                    + "; mounting afresh");
            master.forEach(Libc::close);
            return null;
        }
        for (int i = 1; i < master.size(); i++) Libc.close(master.get(i));
        FuseSession adopted = FuseSession.adopt(mountPoint, tree, config, master.getFirst(), init, true, handOff);
        lifecycle.tookOver(ServingState.Takeover.SYSTEMD);
        return adopted;
    }

    /** A connection handed to us is worth serving only if a jlxcfs mount is still at the mount point. */
    private boolean jlxcfsMounted() throws IOException {
        return MountTable.at(mountPoint).filter(m -> m.fsType().equals("fuse.jlxcfs")).isPresent();
    }

    /** The daemon this one took over from while it still ran (a verified pidfd): told to hand over once we serve. */
    private Optional<ProcessIdentity.Pidfd> predecessor = Optional.empty();

    /**
     * Gives the keeper (or systemd's fd store) the connection's fds, before any worker reads. With
     * RESEND, the worker fds too: then a crash at any later instant leaves the requests it had
     * read in queues the keeper holds, and the kernel resends them. Without RESEND they would hang
     * there, so only the master fd is kept and a crash fails those few requests instead.
     */
    private void handOff(KeeperClient keeper, Optional<Systemd> systemd, FuseSession session) throws IOException {
        InitState state = session.initState().orElseThrow(() -> new IOException("no FUSE INIT state for " + mountPoint));
        int[] all = session.fds();
        StartTimes.mark("session prepared");
        if (keeper != null) keeper.put(mountPoint, state, state.kernelCanResend() ? all : new int[] {all[0]});
        StartTimes.mark("keeper PUT");
        if (systemd.isPresent()) {
            systemd.get().store(state, all[0], state.kernelCanResend()
                    ? java.util.Arrays.copyOfRange(all, 1, all.length) : new int[0]);
        }
    }

    /** PSI trigger fds (and their table) systemd passed from the fd store, by name; ours until kept. */
    private final java.util.Map<String, Integer> passedTriggers = new java.util.LinkedHashMap<>();

    /**
     * Before serving: PSI triggers are kept with the connection from now on, and those an earlier
     * daemon left with it are taken over (on a fresh connection, freed: they belonged to a dead one).
     */
    private void keepTriggers(KeeperClient keeper, Optional<Systemd> systemd, boolean freshConnection) {
        if (triggers == null) {
            passedTriggers.values().forEach(Libc::close);
            passedTriggers.clear();
            return;
        }
        TriggerStore store = keeper != null ? keeper.triggerStore(mountPoint)
                : systemd.map(s -> s.triggerStore(passedTriggers)).orElse(TriggerStore.NONE);
        triggers.keepWith(store, freshConnection, predecessor.isEmpty());
    }

    /** Once the daemon we took over from has exited, what it did with its triggers meanwhile is settled. */
    private void settleTriggersWhenGone(ProcessIdentity previous) {
        if (triggers == null) return;
        PsiTriggers t = triggers;
        Thread.ofVirtual().name("psi-predecessor-watch").start(() -> {
            try {
                for (int i = 0; i < 6000 && previous.alive(); i++) Thread.sleep(100);
                t.predecessorExited();
            } catch (InterruptedException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, () -> "PSI triggers after the previous daemon: " + e);
            }
        });
    }

    /** Now that we serve, the daemon we took over from stops reading, finishes what it has and exits. */
    private void askPredecessorToHandOver() {
        if (predecessor.isEmpty()) return;
        try (ProcessIdentity.Pidfd p = predecessor.get()) {
            LOG.log(System.Logger.Level.INFO, "serving; asking the previous daemon (" + p.process() + ") to hand over");
            int r = p.signal(Libc.SIGUSR1);
            settleTriggersWhenGone(p.process());
            if (r < 0) LOG.log(System.Logger.Level.WARNING, "could not signal the previous daemon (" + p.process() + "): "
                    + Errno.describe(-r) + (r == -Errno.ESRCH ? "; it has exited, the keeper resends what it left" : ""));
        }
        predecessor = Optional.empty();
    }

    /**
     * Serves until SIGTERM, SIGINT (stop and unmount), SIGUSR1 (hand over) or an unmount from
     * outside. Under systemd SIGTERM hands over too: systemd keeps the connection in the unit's
     * fd store for the next process (an explicit stop flushes the store, which ends it). With
     * {@code --on-term=handover} (a pod, where the kubelet's SIGTERM means "a new pod comes") it
     * leaves the connection to the keeper the same way.
     */
    private int serve(FuseSession session, KeeperClient keeper, Optional<Systemd> systemd, NodeLabel label)
            throws InterruptedException {
        boolean underSystemd = systemd.isPresent();
        boolean termHandsOver = underSystemd || (keeper != null && restarts.onTerm == OnTerm.handover);
        CountDownLatch stop = new CountDownLatch(1);
        boolean[] handover = {false};
        for (String sig : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(sig), s -> {
                handover[0] = termHandsOver && s.getName().equals("TERM");
                lifecycle.enter(handover[0] ? ServingState.Phase.HANDING_OVER : ServingState.Phase.STOPPED);
                LOG.log(System.Logger.Level.INFO, "SIG" + s.getName() + (!handover[0] ? ": unmounting " + session.mountPoint()
                        : underSystemd ? ": leaving " + session.mountPoint() + " to the next process of the unit (fd store)"
                        : ": leaving " + session.mountPoint() + " to the keeper for the next daemon (--on-term=handover)"));
                stop.countDown();
            });
        }
        Signal.handle(new Signal("USR1"), s -> {
            LOG.log(System.Logger.Level.INFO, "SIGUSR1: handing " + session.mountPoint() + " over to the next daemon");
            handover[0] = true;
            lifecycle.enter(ServingState.Phase.HANDING_OVER);
            stop.countDown();
        });
        if (underSystemd) {
            try {
                systemd.get().ready();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "could not tell systemd we are ready: " + e.getMessage());
            }
        }
        if (keeper != null) {
            KeeperReattach.start(keeper, session.mountPoint(), () -> {
                handOff(keeper, Optional.empty(), session);
                if (triggers != null) triggers.keepAllAgain();
            },
                    () -> stop.getCount() > 0);
        }
        boolean[] workerFailed = {false};
        Thread.ofPlatform().daemon().name("connection-watch").start(() -> {
            try {
                switch (session.awaitFirstEnd()) {
                    case CONNECTION_ENDED -> {
                        session.awaitEnd();
                        LOG.log(System.Logger.Level.INFO, session.mountPoint() + " was unmounted from outside; exiting");
                    }
                    case WORKER_FAILED -> {
                        workerFailed[0] = true;
                        LOG.log(System.Logger.Level.ERROR, keeper != null || underSystemd
                                ? "a FUSE worker died; exiting with code " + EXIT_WORKER_FAILED + " without unmounting, so the "
                                        + (keeper != null ? "keeper" : "systemd unit") + " hands " + session.mountPoint()
                                        + " to a fresh process"
                                : "a FUSE worker died; nothing holds " + session.mountPoint() + " for a next process "
                                        + "(--no-keeper): unmounting and exiting with code " + EXIT_WORKER_FAILED);
                    }
                    case STOPPED -> { }
                }
            } catch (InterruptedException ignored) {
                // shutting down anyway
            }
            stop.countDown();
        });
        stop.await();
        lifecycle.enter(handover[0] || workerFailed[0] ? ServingState.Phase.HANDING_OVER : ServingState.Phase.STOPPED);
        if (workerFailed[0]) {
            // like a handover with no successor yet: finish what the other workers hold, keep the mount;
            // with nobody to keep it, a clean unmount beats leaving a dead one
            if (keeper != null || underSystemd) {
                session.handover();
            } else {
                session.close();
            }
            return EXIT_WORKER_FAILED;
        }
        if (handover[0]) {
            session.handover();
            if (triggers != null) triggers.wakePollersAfterHandover();
            return 0;
        }
        session.close();
        // the mount is gone: pods must no longer be scheduled here for its files
        if (label != null) label.remove(java.time.Duration.ofSeconds(5));
        if (keeper != null) {
            try {
                keeper.drop(session.mountPoint());
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "could not tell the keeper to let go of " + session.mountPoint()
                        + ": " + e.getMessage());
            }
        }
        return 0;
    }

    /** Exit code when a worker died (EX_SOFTWARE): the mount stays for the next process. */
    static final int EXIT_WORKER_FAILED = 70;

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"jlxcfs " + (v == null ? "(development build)" : v)};
        }
    }
}
