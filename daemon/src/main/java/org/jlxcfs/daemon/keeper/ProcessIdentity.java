package org.jlxcfs.daemon.keeper;

import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.Libc;
import org.jlxcfs.view.host.Host;
import org.jlxcfs.view.host.ProcessInfo;

import java.io.IOException;
import java.util.Optional;

/**
 * A process as one particular run of a program: its pid and its start time (field 22 of
 * /proc/PID/stat, clock ticks since boot). Pid numbers are reused, so every decision about another
 * process (is it still running, may it be signalled, may its command line be run again) checks
 * both; a pid whose start time differs is someone else. The views key their caches by the same
 * pair ({@link org.jlxcfs.view.host.ProcessIdentity}); this one adds what the keeper needs of a
 * live process: whether it still runs, and a pidfd to signal and watch it.
 */
public record ProcessIdentity(int pid, long startTime) {

    /** The process that has {@code pid} now, if any (a zombie counts as gone). */
    public static Optional<ProcessIdentity> of(int pid) {
        return stat(pid).filter(s -> !s.zombie()).map(s -> new ProcessIdentity(pid, s.startTime()));
    }

    public static ProcessIdentity self() {
        return of((int) ProcessHandle.current().pid()).orElseThrow();
    }

    /** True while this very process runs (same pid, same start time, not a zombie). */
    public boolean alive() {
        return of(pid).filter(this::equals).isPresent();
    }

    /**
     * A pidfd for this very process, or empty if it is gone or its pid now names another
     * process. The check after opening is what makes it safe: the pidfd refers to whoever had the
     * pid at open time, and if the start time still matches after that, it is this process.
     */
    public Optional<Pidfd> open() {
        int fd = Libc.pidfdOpen(pid);
        if (fd < 0) return Optional.empty();
        if (!alive()) {
            Libc.close(fd);
            return Optional.empty();
        }
        return Optional.of(new Pidfd(this, fd));
    }

    /** Sends {@code signal} through a verified pidfd: never to a process that merely reuses the pid. */
    public int signal(int signal) {
        Optional<Pidfd> p = open();
        if (p.isEmpty()) return -Errno.ESRCH;
        try (Pidfd fd = p.get()) {
            return fd.signal(signal);
        }
    }

    @Override
    public String toString() {
        return "pid " + pid + " (started at tick " + startTime + ")";
    }

    /** An open pidfd of a verified process; readable once it exits. */
    public record Pidfd(ProcessIdentity process, int fd) implements AutoCloseable {
        public int signal(int signal) {
            return Libc.pidfdSendSignal(fd, signal);
        }

        public boolean exited() {
            return Libc.pidfdExited(fd);
        }

        @Override
        public void close() {
            Libc.close(fd);
        }
    }

    private record Stat(long startTime, boolean zombie) {}

    private static Optional<Stat> stat(int pid) {
        if (pid <= 0) return Optional.empty();
        try {
            // the views' parser (one per kernel format), but read now: a shared reading a few ms
            // old may show a process that has exited since
            String[] f = ProcessInfo.statFieldsNow(HOST, pid);
            return Optional.of(new Stat(Long.parseLong(f[19]), f[0].equals("Z") || f[0].equals("X")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // gone (or going) while we read
        }
    }

    private static final Host HOST = Host.real();
}
