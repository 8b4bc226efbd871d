package org.jlxcfs.daemon.keeper;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Gives the connection to a keeper that does not hold it: the keeper was restarted or replaced
 * (its own DaemonSet pod updated, OnDelete) while this daemon served. A daemon hands its fds over
 * only when it starts, so without this the next stop of the daemon would end the connection and
 * every container would read ENOTCONN until a fresh mount and the remount agent.
 */
public final class KeeperReattach {
    private static final System.Logger LOG = System.getLogger("jlxcfs");
    static final Duration PERIOD = Duration.ofSeconds(2);

    /** Gives the keeper this daemon's fds again (the same as at start). */
    public interface HandOff {
        void run() throws IOException;
    }

    private KeeperReattach() {}

    /** Checks every {@link #PERIOD} until the thread is interrupted or {@code active} says no. */
    public static Thread start(KeeperClient keeper, Path mount, HandOff handOff, java.util.function.BooleanSupplier active) {
        return Thread.ofPlatform().daemon().name("keeper-reattach").start(() -> {
            boolean keeperMissing = false;
            while (active.getAsBoolean()) {
                try {
                    Thread.sleep(PERIOD);
                } catch (InterruptedException e) {
                    return;
                }
                if (!active.getAsBoolean()) return;
                try {
                    if (!keeper.holds(mount)) {
                        handOff.run();
                        LOG.log(System.Logger.Level.INFO, "the keeper on " + keeper.socket() + " did not hold " + mount
                                + " (restarted or replaced): handed it the connection again");
                    }
                    keeperMissing = false;
                } catch (IOException e) {
                    if (!keeperMissing) {
                        LOG.log(System.Logger.Level.WARNING, "no keeper answers for " + mount + " (" + e.getMessage()
                                + "); a restart of this daemon now would end the connection. Handing it to the next keeper "
                                + "that answers on " + keeper.socket());
                    }
                    keeperMissing = true;
                }
            }
        });
    }
}
