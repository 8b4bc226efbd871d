package org.jlxcfs.daemon;

import org.jlxcfs.daemon.keeper.Keeper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.logging.Level;

/** {@code jlxcfs keeper}: holds the /dev/fuse fds of live mounts across daemon restarts and crashes. */
@Command(name = "keeper", mixinStandardHelpOptions = true,
        description = "Hold the FUSE connections of jlxcfs mounts so they outlive the daemon (started by the daemon when none runs).")
final class KeeperCommand implements Callable<Integer> {
    @Option(names = "--socket", paramLabel = "PATH", description = "Unix socket to listen on (default: ${DEFAULT-VALUE}).")
    Path socket = Main.DEFAULT_KEEPER_SOCKET;

    @Option(names = "--exit-when-idle", paramLabel = "SECONDS",
            description = "Exit after holding no connection for this long (the daemon starts its keepers so); default: never.")
    long idleExitSeconds;

    @Option(names = "--no-restart",
            description = "Do not start a dead daemon again (under Kubernetes the kubelet does); the connection is still "
                    + "held, and requests the dead daemon had read are still resent.")
    boolean noRestart;

    @Option(names = "--give-up-after", paramLabel = "SECONDS",
            description = "Give a connection up (readers then get ENOTCONN instead of waiting) when no daemon has served it "
                    + "for this long; 0: never (default: ${DEFAULT-VALUE}).")
    long giveUpSeconds = 60;

    @Override
    public Integer call() throws Exception {
        Logging.configure(Level.INFO);
        if (idleExitSeconds < 0 || giveUpSeconds < 0) {
            System.err.println("jlxcfs keeper: --exit-when-idle and --give-up-after take seconds >= 0");
            return 2;
        }
        Files.createDirectories(socket.toAbsolutePath().getParent());
        Path pid = socket.resolveSibling("keeper.pid");
        Files.writeString(pid, ProcessHandle.current().pid() + "\n");
        try {
            new Keeper(socket, idleExitSeconds * 1000, !noRestart, giveUpSeconds * 1000).run();
        } finally {
            Files.deleteIfExists(pid);
        }
        return 0;
    }
}
