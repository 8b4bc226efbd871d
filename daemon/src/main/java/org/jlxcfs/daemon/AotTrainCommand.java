package org.jlxcfs.daemon;

import org.jlxcfs.daemon.aot.NativeWarmup;
import org.jlxcfs.daemon.aot.TreeWalk;
import org.jlxcfs.daemon.keeper.Keeper;
import org.jlxcfs.daemon.keeper.KeeperClient;
import org.jlxcfs.daemon.psi.PsiTriggers;
import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.FuseConfig;
import org.jlxcfs.fuse.InitState;
import org.jlxcfs.fuse.Libc;
import org.jlxcfs.fuse.tree.VirtualTree;
import org.jlxcfs.view.ContainerResolver;
import org.jlxcfs.view.cgroup.CgroupLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.concurrent.Callable;
import java.util.logging.Level;

/**
 * {@code jlxcfs aot-train}: the training run behind the JDK's AOT cache (bin/jlxcfs runs it with
 * {@code -XX:AOTCacheOutput}). It does in-process what a daemon does from its start to its steady
 * state, minus mounting: discovers the cgroups, builds the file set and the tree, and answers a
 * reader's requests for every file (see {@link TreeWalk}). Needs neither root nor /dev/fuse, so any
 * build can make the cache; hidden, as nobody runs it by hand.
 */
@Command(name = "aot-train", hidden = true, mixinStandardHelpOptions = true,
        description = "Exercise the daemon's start and request path in-process, for the JVM's AOT cache; mounts nothing.")
final class AotTrainCommand implements Callable<Integer> {
    @Mixin
    ViewSettings view = new ViewSettings();

    /** An INIT state as a kernel of today answers (the training hands it around, nothing reads it). */
    private static final InitState STATE = new InitState(45, 0, 45, 0, 131072, 4096, 16, 12);

    @Option(names = "--rounds", paramLabel = "N", description = "Times every proc file is read after the walk (default: ${DEFAULT-VALUE}).")
    int rounds = 300;

    @Override
    public Integer call() throws Exception {
        Logging.configure(Level.INFO);
        CgroupLayout layout;
        try {
            layout = CgroupLayout.discover(view.procRoot, view.cgroupRoot);
        } catch (IOException e) {
            System.err.println("jlxcfs aot-train: cannot find the cgroup hierarchies: " + e.getMessage());
            return 1;
        }
        touchNativeCalls();
        startThreadsOfAStart();
        loadTakeoverClasses();
        try (FileSet files = FileSet.create(view.host(), view.options())) {
            VirtualTree tree = ViewTree.build(files.files(), new ContainerResolver(view.host(), layout), view.host(),
                    view.options());
            files.start();
            TreeWalk walk = new TreeWalk(tree, FuseConfig.defaults("jlxcfs"), (int) ProcessHandle.current().pid());
            int read = walk.walk();
            long bytes = walk.readAgain(rounds);
            System.err.println("jlxcfs aot-train: walked the tree, read " + read + " files " + rounds + " times ("
                    + bytes + " bytes)");
        }
        return 0;
    }

    /**
     * Loads (without running) the classes of what the walk cannot play: the keeper client and
     * protocol, the workers, the session's takeover, systemd's fd store. A starting daemon that
     * takes a connection over loads them all before it serves; from the cache they come parsed.
     * Every class of those packages, so that a new one is never missed.
     */
    private static void loadTakeoverClasses() throws IOException {
        ClassLoader loader = AotTrainCommand.class.getClassLoader();
        for (Class<?> anchor : List.of(KeeperClient.class, Libc.class, AotTrainCommand.class, NativeWarmup.class)) {
            String pkg = anchor.getPackageName().replace('.', '/') + "/";
            try (JarFile jar = new JarFile(Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI()).toFile())) {
                for (JarEntry e : Collections.list(jar.entries())) {
                    String n = e.getName();
                    // the package itself, not its subpackages (the daemon's: health, node, remount)
                    if (!n.startsWith(pkg) || !n.endsWith(".class") || n.indexOf('/', pkg.length()) >= 0) continue;
                    try {
                        Class.forName(n.substring(0, n.length() - 6).replace('/', '.'), false, loader);
                    } catch (ClassNotFoundException | LinkageError ignored) {
                        // a class this runtime cannot load is one the daemon never loads either
                    }
                }
            } catch (java.net.URISyntaxException | IllegalArgumentException e) {
                // not run from jars (a test's class directories): nothing to list
            }
        }
        MountTable.at(Path.of("/"));
    }

    /**
     * Runs the second threads a daemon starts at main() (their lambdas are spun otherwise): the
     * warm-up, and the keeper's GET asked ahead; then what a takeover asks a keeper before it
     * serves (PUT, the PSI triggers' KEPT and HOLD), of a keeper in this process holding an
     * eventfd for a mount point that is no mount. The messages' encoding, the fds passed both
     * ways and the method handles behind them are otherwise made at every takeover, while its
     * readers wait (10-20 ms).
     */
    private static void startThreadsOfAStart() throws IOException, InterruptedException {
        NativeWarmup.start();
        Path dir = java.nio.file.Files.createTempDirectory("jlxcfs-aot-train");
        Path socket = dir.resolve("keeper.sock"), mount = dir.resolve("mnt");
        try {
            KeeperAhead.start(socket, mount).held(); // no keeper yet: the refused connect
            Keeper keeper = new Keeper(socket, 0, false, 0);
            Thread.ofPlatform().daemon().name("aot-train-keeper").start(() -> {
                try {
                    keeper.run();
                } catch (IOException ignored) {
                    // the exchange below fails and says so
                }
            });
            KeeperClient client = new KeeperClient(socket);
            for (int i = 0; i < 200 && !client.available(); i++) Thread.sleep(10);
            int efd = Libc.eventfd(0, Libc.EFD_CLOEXEC);
            try {
                client.put(mount, STATE, efd, efd);
            } finally {
                Libc.close(efd);
            }
            KeeperAhead.start(socket, mount).held().ifPresent(KeeperClient.Session::closeAll);
            try (PsiTriggers triggers = new PsiTriggers(Path.of("/proc"), 1, 4)) {
                triggers.start();
                triggers.keepWith(client.triggerStore(mount), false, true);
            }
            client.drop(mount);
        } catch (IOException e) {
            System.err.println("jlxcfs aot-train: the keeper exchange failed (the cache goes without it): " + e.getMessage());
        } finally {
            // whatever the keeper left there too: a failed clean-up must not fail the training
            try (var left = java.nio.file.Files.list(dir)) {
                left.forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // nothing to list: nothing left
            }
            dir.toFile().delete();
        }
    }

    /**
     * Links the libc calls a daemon makes before it serves (the FFM downcalls are built when
     * {@link Libc} is initialised) and the state it hands to the keeper, with calls that change
     * nothing outside this process.
     */
    private static void touchNativeCalls() throws IOException {
        int efd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        Libc.signalEventfd(efd);
        int ep = Libc.epollCreate();
        Libc.epollAdd(ep, efd, Libc.EPOLLIN, 1);
        try (Arena a = Arena.ofConfined()) {
            Libc.epollWait(ep, a.allocate(Libc.EPOLL_EVENT_SIZE * 4L), 4, 0);
        }
        Libc.closeAll(ep, efd);
        Libc.allowedCpus();
        int self = Libc.pidfdOpen((int) ProcessHandle.current().pid());
        if (self >= 0) {
            Libc.pidfdExited(self);
            Libc.close(self);
        }
        Libc.close(Libc.memfd("jlxcfs-aot-train", STATE.toBytes()));
        InitState.fromBytes(STATE.toBytes());
        Libc.statfs("/");
        Libc.getuid();
    }
}
