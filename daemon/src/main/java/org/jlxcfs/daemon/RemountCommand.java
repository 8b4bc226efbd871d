package org.jlxcfs.daemon;

import org.jlxcfs.daemon.remount.RemountAgent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;

/** {@code jlxcfs remount [MOUNTPOINT]}: re-binds fresh files into containers left with dead jlxcfs or LXCFS binds. */
@Command(name = "remount", mixinStandardHelpOptions = true,
        description = "Repair containers whose /proc binds come from a dead jlxcfs or LXCFS mount, from the live mount at MOUNTPOINT.")
final class RemountCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "MOUNTPOINT", defaultValue = "/var/lib/jlxcfs",
            description = "The live jlxcfs mount (default: ${DEFAULT-VALUE}).")
    Path mountPoint;

    @Option(names = {"-n", "--dry-run"}, description = "Only list what would be repaired.")
    boolean dryRun;

    @Option(names = "--all", description = "Repair stale binds of any jlxcfs or LXCFS mount, not only of earlier mounts at MOUNTPOINT and LXCFS at --lxcfs-mount.")
    boolean all;

    @Option(names = "--lxcfs-mount", paramLabel = "PATH",
            description = "Move containers bound to a dead LXCFS mounted here over to jlxcfs (default: ${DEFAULT-VALUE}).")
    Path lxcfsMount = Path.of("/var/lib/lxcfs");

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Where the daemon records its mounts (default: ${DEFAULT-VALUE}).")
    Path stateDir = Main.DEFAULT_KEEPER_SOCKET.getParent();

    @Override
    public Integer call() throws Exception {
        Logging.configure(Level.WARNING);
        RemountAgent agent = new RemountAgent(Path.of("/proc"), mountPoint,
                all ? null : RemountAgent.readHistory(RemountAgent.historyFile(stateDir, mountPoint)),
                all ? null : RemountAgent.lxcfsDeviceAt(Path.of("/proc"), lxcfsMount));
        List<RemountAgent.Repair> repairs;
        try {
            repairs = agent.find();
        } catch (IOException e) {
            System.err.println("jlxcfs remount: " + e.getMessage());
            return 1;
        }
        if (repairs.isEmpty()) {
            System.out.println("jlxcfs remount: no stale binds found");
            return 0;
        }
        if (dryRun) {
            repairs.forEach(r -> System.out.println("pid " + r.pid() + ": would bind " + r.source() + " over " + r.target()));
            return 0;
        }
        List<String> lines = agent.repair(repairs);
        lines.forEach(System.out::println);
        return lines.stream().allMatch(l -> l.contains(": FIXED ")) ? 0 : 1;
    }
}
