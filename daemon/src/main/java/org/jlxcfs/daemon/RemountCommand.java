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

    @Option(names = "--all", description = "Repair dead binds of any jlxcfs mount, not only of earlier mounts at MOUNTPOINT "
            + "(dead LXCFS binds are repaired either way).")
    boolean all;

    @Option(names = "--lxcfs-mount", paramLabel = "PATH", hidden = true,
            description = "Accepted for compatibility: a dead LXCFS bind is recognised by its type (fuse.lxcfs) and by "
                    + "answering ENOTCONN, wherever LXCFS was mounted and whatever is mounted there now.")
    Path lxcfsMount;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Where the daemon records its mounts (default: ${DEFAULT-VALUE}).")
    Path stateDir = Main.DEFAULT_KEEPER_SOCKET.getParent();

    /** Every failure is one line naming its cause (a missing state file, no live mount, no python3 …), exit 1. */
    @Override
    public Integer call() {
        Logging.configure(Level.WARNING);
        try {
            // dead LXCFS binds by type and deadness (null), ours by the devices of our earlier mounts here
            RemountAgent agent = new RemountAgent(Path.of("/proc"), mountPoint,
                    all ? null : RemountAgent.readHistory(RemountAgent.historyFile(stateDir, mountPoint)), null);
            List<RemountAgent.Repair> repairs = agent.find();
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
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.err.println("jlxcfs remount: interrupted");
            return 1;
        } catch (IOException | RuntimeException e) {
            System.err.println("jlxcfs remount: " + CliErrors.describe(e));
            return 1;
        }
    }
}
