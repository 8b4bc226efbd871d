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

    @Override
    public Integer call() throws Exception {
        Logging.configure(Level.INFO);
        Files.createDirectories(socket.toAbsolutePath().getParent());
        Files.writeString(socket.resolveSibling("keeper.pid"), ProcessHandle.current().pid() + "\n");
        new Keeper(socket).run();
        return 0;
    }
}
