package org.jlxcfs.daemon.health;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Where this daemon process is in its life, as the probes and metrics report it: set by the
 * daemon's lifecycle (mount or takeover, signals), read by the HTTP threads. Nothing here waits.
 */
public final class ServingState {
    public enum Phase {
        /** Started, not serving yet: mounting, or waiting for a keeper or a connection to take over. */
        STARTING,
        /** Serving the mount: workers answer FUSE requests. */
        SERVING,
        /** Leaving the connection to the keeper (or systemd) for the next daemon. */
        HANDING_OVER,
        /** Stopping or stopped: unmounting, or the mount is gone. */
        STOPPED
    }

    /** How this process came to serve a connection it did not mount. */
    public enum Takeover {
        /** From a daemon that still ran and was told to hand over (a restart, an upgrade, a rollout). */
        GRACEFUL,
        /** From a daemon that had died: the kernel resent what it left unanswered. */
        RECOVERY,
        /** From systemd's fd store. */
        SYSTEMD;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private volatile Phase phase = Phase.STARTING;
    private final AtomicLongArray takeovers = new AtomicLongArray(Takeover.values().length);

    /** PSI triggers the daemon holds, or -1 when it takes none (--disable-psi-triggers, no PSI). */
    private volatile java.util.function.IntSupplier psiTriggers = () -> -1;

    public void psiTriggers(java.util.function.IntSupplier held) {
        this.psiTriggers = held;
    }

    public int psiTriggers() {
        return psiTriggers.getAsInt();
    }

    public Phase phase() {
        return phase;
    }

    public boolean serving() {
        return phase == Phase.SERVING;
    }

    /** A later phase never gives way to an earlier one: a stop signal during start stays a stop. */
    public synchronized void enter(Phase next) {
        if (next.ordinal() > phase.ordinal()) phase = next;
    }

    public void tookOver(Takeover kind) {
        takeovers.incrementAndGet(kind.ordinal());
    }

    public long takeovers(Takeover kind) {
        return takeovers.get(kind.ordinal());
    }
}
