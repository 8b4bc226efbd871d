package org.jlxcfs.daemon;

import org.jlxcfs.fuse.FuseConfig;
import org.jlxcfs.fuse.FuseSession;
import org.jlxcfs.fuse.MountPointException;
import org.jlxcfs.fuse.tree.VirtualTree;
import org.jlxcfs.view.ContainerResolver;
import org.jlxcfs.view.cgroup.CgroupLayout;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sun.misc.Signal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;

/** {@code jlxcfs [OPTIONS] [MOUNTPOINT]}: mounts the tree and serves it in the foreground until SIGTERM or SIGINT. */
@Command(name = "jlxcfs", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        subcommands = ShowCommand.class,
        description = "Serves container-aware /proc and /sys files over FUSE (in the spirit of LXCFS).",
        sortOptions = false, usageHelpAutoWidth = true)
public final class Main implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("jlxcfs");
    static final Path DEFAULT_MOUNT_POINT = Path.of("/var/lib/jlxcfs");

    @Parameters(index = "0", arity = "0..1", paramLabel = "MOUNTPOINT",
            description = "Where to mount (default: ${DEFAULT-VALUE}); created if missing.",
            defaultValue = "/var/lib/jlxcfs")
    Path mountPoint = DEFAULT_MOUNT_POINT;

    @Option(names = "--threads", paramLabel = "N",
            description = "FUSE worker threads, each with its own /dev/fuse fd (default: min(cores, 4) = ${DEFAULT-VALUE}).")
    int threads = FuseConfig.defaultThreads();

    @Option(names = "--replace",
            description = "Detach a jlxcfs mount (live or dead) already at MOUNTPOINT instead of refusing to start.")
    boolean replace;

    @Option(names = {"-f", "--foreground"}, description = "Accepted for LXCFS compatibility; jlxcfs always runs in the foreground.")
    boolean foreground;

    @Option(names = {"-d", "--debug"}, description = "Log every decision (FINE level).")
    boolean debug;

    @Mixin
    ViewSettings view = new ViewSettings();

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        return cl.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        Logging.configure(debug ? Level.FINE : Level.INFO);
        if (threads < 1 || threads > 64) {
            System.err.println("jlxcfs: --threads must be between 1 and 64, got " + threads);
            return 2;
        }
        if (!Files.exists(Path.of("/dev/fuse"))) {
            System.err.println("jlxcfs: /dev/fuse is missing: load the fuse module (modprobe fuse) or, in a container, "
                    + "pass the device (--device /dev/fuse)");
            return 1;
        }
        CgroupLayout layout;
        try {
            layout = CgroupLayout.discover(view.procRoot, view.cgroupRoot);
        } catch (IOException e) {
            System.err.println("jlxcfs: cannot find the cgroup hierarchies: " + e.getMessage());
            return 1;
        }
        LOG.log(System.Logger.Level.INFO, "cgroups: " + layout);
        try (FileSet files = FileSet.create(view.host(), view.options())) {
            VirtualTree tree = ViewTree.build(files.files(), new ContainerResolver(view.host(), layout), view.host(),
                    view.options());
            files.start();
            FuseSession session;
            try {
                session = FuseSession.mount(mountPoint, tree, FuseConfig.defaults("jlxcfs").withThreads(threads), replace);
            } catch (MountPointException e) {
                System.err.println("jlxcfs: " + e.getMessage());
                return 1;
            } catch (IOException e) {
                System.err.println("jlxcfs: cannot mount " + mountPoint + ": " + e.getMessage()
                        + (e.getMessage().contains("EPERM") ? " (mounting needs root or CAP_SYS_ADMIN)" : ""));
                return 1;
            }
            return serve(session);
        }
    }

    /** Serves until SIGTERM, SIGINT or an unmount from outside; then unmounts. */
    private static int serve(FuseSession session) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        for (String sig : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(sig), s -> {
                LOG.log(System.Logger.Level.INFO, "SIG" + s.getName() + ": unmounting " + session.mountPoint());
                stop.countDown();
            });
        }
        Thread.ofPlatform().daemon().name("connection-watch").start(() -> {
            try {
                if (session.awaitEnd()) {
                    LOG.log(System.Logger.Level.INFO, session.mountPoint() + " was unmounted from outside; exiting");
                }
            } catch (InterruptedException ignored) {
                // shutting down anyway
            }
            stop.countDown();
        });
        stop.await();
        session.close();
        return 0;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"jlxcfs " + (v == null ? "(development build)" : v)};
        }
    }
}
