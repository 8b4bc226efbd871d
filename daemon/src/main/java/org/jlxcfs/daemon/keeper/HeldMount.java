package org.jlxcfs.daemon.keeper;

import org.jlxcfs.fuse.FuseSession;
import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.InitState;
import org.jlxcfs.fuse.Libc;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One mount's connection as the keeper holds it: the master fd, what INIT agreed, the daemon that
 * serves it now (its verified identity, a pidfd, its worker fds) and earlier daemons still handing
 * over ("retired": their worker fds stay open until they exit, since they may still hold requests
 * they read; then the kernel is asked to resend those).
 */
final class HeldMount {
    private static final System.Logger LOG = System.getLogger("jlxcfs.keeper");

    /** A daemon whose fds are held, and what the keeper knows of it. */
    record Daemon(ProcessIdentity id, ProcessIdentity.Pidfd pidfd, int[] workers, long startedMillis, Process process) {
        void close() {
            Libc.closeAll(workers);
            pidfd.close();
        }
    }

    final String mount;
    int master;
    String state;
    InitState init;
    DaemonCommand command;
    /** Null while no daemon serves (it died, and none has PUT since). */
    Daemon current;
    /** The identity recorded last (GET answers with it even after that daemon died). */
    ProcessIdentity recorded;
    final List<Daemon> retired = new ArrayList<>();
    /** When the connection was last left without a daemon (ms), or -1 while one serves. */
    long unservedSince = -1;
    final Supervisor supervisor;
    /**
     * Fds kept for the daemons of this connection besides the connection's own (PSI trigger fds
     * and their table), by name, sorted so a paged listing is stable. Bounded: the daemon's own
     * trigger bound plus its table and some slack, so no one makes the keeper hold fds without end.
     */
    final java.util.TreeMap<String, Integer> kept = new java.util.TreeMap<>();
    static final int MAX_KEPT = 4096 + 64;

    HeldMount(String mount, Supervisor supervisor) {
        this.mount = mount;
        this.supervisor = supervisor;
    }

    /** Puts requests dead daemons had read back into the queue, where a reader can be killed and the next daemon reads them. */
    void resend(String why) {
        if (init == null || !init.kernelCanResend()) return;
        int r = FuseSession.resend(master);
        if (r < 0) {
            LOG.log(System.Logger.Level.WARNING, "FUSE_NOTIFY_RESEND on " + mount + " (" + why + ") failed: " + Errno.describe(-r));
        } else {
            LOG.log(System.Logger.Level.INFO, "asked the kernel to resend what " + why + " had read for " + mount);
        }
    }

    /** Closes retired daemons' fds once they exited (after a resend, so nothing they read is aborted). */
    void reapRetired() {
        for (Iterator<Daemon> it = retired.iterator(); it.hasNext(); ) {
            Daemon d = it.next();
            if (!d.pidfd().exited()) continue;
            resend("the previous daemon (" + d.id() + ")");
            d.close();
            it.remove();
            LOG.log(System.Logger.Level.INFO, "the previous daemon of " + mount + " (" + d.id() + ") has exited; let go of its fds");
        }
    }

    /** Everything held, closed: the kernel aborts the connection once no process holds an fd of it. */
    void closeAll() {
        if (current != null) current.close();
        current = null;
        retired.forEach(Daemon::close);
        retired.clear();
        kept.values().forEach(Libc::close);
        kept.clear();
        Libc.close(master);
    }
}
