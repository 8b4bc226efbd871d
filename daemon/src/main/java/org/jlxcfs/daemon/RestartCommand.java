package org.jlxcfs.daemon;

import org.jlxcfs.daemon.keeper.DaemonCommand;
import org.jlxcfs.daemon.keeper.KeeperClient;
import org.jlxcfs.daemon.keeper.ProcessIdentity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code jlxcfs restart [MOUNTPOINT]}: starts a new daemon with the command line and working
 * directory the keeper recorded (and checked) when the running daemon handed it its fds, so an
 * upgraded jar on disk is what runs next; it takes the connection over and the old daemon hands
 * over and exits. Containers see no failed read. Only if that very daemon (pid and start time)
 * still runs: a pid now used by another process is refused, and nothing is run or signalled.
 */
@Command(name = "restart", mixinStandardHelpOptions = true,
        description = "Restart (or upgrade) the daemon serving MOUNTPOINT without breaking the containers using it.")
final class RestartCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "MOUNTPOINT", defaultValue = "/var/lib/jlxcfs",
            description = "The mount point (default: ${DEFAULT-VALUE}).")
    Path mountPoint;

    @Option(names = "--keeper-socket", paramLabel = "PATH", description = "The keeper (default: ${DEFAULT-VALUE}).")
    Path keeperSocket = Main.DEFAULT_KEEPER_SOCKET;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "How long to wait for the handover (default: ${DEFAULT-VALUE}).")
    int timeout = 60;

    @Override
    public Integer call() throws Exception {
        KeeperClient keeper = new KeeperClient(keeperSocket);
        if (!keeper.available()) {
            System.err.println("jlxcfs restart: no keeper answers on " + keeperSocket + "; is a daemon running with it?");
            return 1;
        }
        Optional<KeeperClient.Session> held = keeper.get(mountPoint);
        if (held.isEmpty()) {
            System.err.println("jlxcfs restart: the keeper holds no connection for " + mountPoint);
            return 1;
        }
        held.get().closeAll();
        ProcessIdentity old = held.get().daemon();
        DaemonCommand command = held.get().command();
        if (command == null) {
            System.err.println("jlxcfs restart: the keeper at " + keeperSocket + " is an older build that records no "
                    + "command line; start the new daemon by hand (it takes over)");
            return 1;
        }
        if (!old.alive()) {
            System.err.println("jlxcfs restart: the daemon the keeper recorded for " + mountPoint + " (" + old + ") "
                    + (ProcessHandle.of(old.pid()).isPresent() ? "is gone: pid " + old.pid() + " now belongs to another process"
                    : "is not running") + "; nothing was started or signalled (a keeper that restarts daemons starts one)");
            return 1;
        }
        List<String> cmd = new ArrayList<>(List.of("setsid", "-f"));
        cmd.addAll(command.argv());
        // the new daemon logs where the old one did, when that was a file
        ProcessBuilder.Redirect output = ProcessBuilder.Redirect.DISCARD;
        try {
            Path log = Path.of("/proc/" + old.pid() + "/fd/2").toRealPath();
            if (old.alive() && Files.isRegularFile(log)) output = ProcessBuilder.Redirect.appendTo(log.toFile());
        } catch (java.io.IOException e) {
            // a pipe or a terminal: nothing to append to
        }
        new ProcessBuilder(cmd).directory(new java.io.File(command.cwd())).redirectErrorStream(true).redirectOutput(output)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start().waitFor();
        long deadline = System.nanoTime() + timeout * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            Optional<KeeperClient.Session> now = keeper.get(mountPoint);
            now.ifPresent(KeeperClient.Session::closeAll);
            if (now.isPresent() && !now.get().daemon().equals(old) && !old.alive()) {
                System.out.println("jlxcfs restart: " + mountPoint + " is served by pid " + now.get().pid()
                        + " (was " + old.pid() + ")");
                return 0;
            }
            Thread.sleep(100);
        }
        System.err.println("jlxcfs restart: no handover within " + timeout + " s; pid " + old.pid() + " still serves " + mountPoint);
        return 1;
    }

}
