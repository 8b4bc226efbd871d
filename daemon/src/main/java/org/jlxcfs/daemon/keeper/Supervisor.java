package org.jlxcfs.daemon.keeper;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Restarts one mount's daemon when it dies: at once the first time, then after 1, 2, 4 … 30 s
 * while it keeps dying quickly (each death within {@link #QUICK} of its start, in a row), so a
 * daemon that cannot start does not spin. Runs only the command line the keeper recorded from a
 * verified PUT, in its recorded working directory, in a session of its own, its output appended
 * to a log file next to the keeper's socket.
 */
final class Supervisor {
    private static final System.Logger LOG = System.getLogger("jlxcfs.keeper");
    /** A daemon that ran this long was not crash-looping: the next death restarts at once again. */
    static final long QUICK = 10_000;
    static final long MAX_DELAY = 30_000;

    private final String mount;
    private final Path log;
    /** Start times (ms) of the quick deaths in a row. */
    private final Deque<Long> quickDeaths = new ArrayDeque<>();
    /** The daemon this supervisor started last, until it has exited. */
    private Process child;
    private ProcessIdentity.Pidfd childFd;
    private long childStarted;
    /** When the next start is due (ms, System.currentTimeMillis), or -1. */
    private long dueAt = -1;

    Supervisor(String mount, Path dir) {
        this.mount = mount;
        this.log = dir.resolve("daemon-" + mount.replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^-|-$", "") + ".log");
    }

    Path log() {
        return log;
    }

    /**
     * A daemon of this mount died, {@code livedMillis} after it started: schedules the next start
     * and says why in one line.
     */
    void died(String who, String how, long livedMillis, long now) {
        if (livedMillis >= QUICK) quickDeaths.clear();
        quickDeaths.addLast(now);
        int n = quickDeaths.size();
        long delay = n <= 1 ? 0 : Math.min(MAX_DELAY, 1000L << Math.min(n - 2, 20));
        dueAt = now + delay;
        String history = n > 1 ? "; died " + n + " times within " + (now - quickDeaths.getFirst()) / 1000 + " s" : "";
        LOG.log(System.Logger.Level.WARNING, "daemon of " + mount + " (" + who + ") " + how + " after "
                + String.format("%.1f", livedMillis / 1000.0) + " s" + history + "; starting it again "
                + (delay == 0 ? "now" : "in " + delay / 1000 + " s"));
    }

    /** A daemon of this mount serves (it PUT): nothing to start. */
    void served() {
        dueAt = -1;
    }

    /** Forgets everything (the mount was dropped or given up); kills a daemon it started that does not serve. */
    void stop(ProcessIdentity serving) {
        dueAt = -1;
        if (childFd != null && !childFd.process().equals(serving) && !childFd.exited()) {
            childFd.signal(org.jlxcfs.fuse.Libc.SIGKILL);
        }
        forgetChild();
    }

    long dueAt() {
        return dueAt;
    }

    /** The pidfd of the daemon this supervisor started, while it may still be starting. */
    Optional<ProcessIdentity.Pidfd> child() {
        return Optional.ofNullable(childFd);
    }

    /** The daemon it started exited; returns how ("exit code 1", "killed by signal 9"). */
    String childExited() {
        String how = exitOf(child);
        forgetChild();
        return how;
    }

    long childStarted() {
        return childStarted;
    }

    /** How a process we started ended, when we know (it is our child); else "exited". */
    static String exitOf(Process p) {
        if (p == null) return "exited";
        try {
            if (!p.waitFor(200, java.util.concurrent.TimeUnit.MILLISECONDS)) return "exited";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "exited";
        }
        int code = p.exitValue();
        return code > 128 ? "was killed by signal " + (code - 128) + signalName(code - 128) : "exited with code " + code;
    }

    private static String signalName(int sig) {
        return switch (sig) {
            case 9 -> " (SIGKILL)";
            case 15 -> " (SIGTERM)";
            case 6 -> " (SIGABRT)";
            case 11 -> " (SIGSEGV)";
            default -> "";
        };
    }

    /** The process this supervisor started, if {@code id} is it (for its exit code). */
    Optional<Process> processOf(ProcessIdentity id) {
        return child != null && child.pid() == id.pid() ? Optional.of(child) : Optional.empty();
    }

    /** Hands the process over to the caller once it served (it is no longer "starting"). */
    Process adoptChild() {
        Process p = child;
        if (childFd != null) childFd.close();
        child = null;
        childFd = null;
        return p;
    }

    private void forgetChild() {
        if (childFd != null) childFd.close();
        child = null;
        childFd = null;
    }

    /** Starts the recorded command if a start is due; false if it could not be started (logged, rescheduled). */
    boolean startIfDue(DaemonCommand command, long now) {
        if (dueAt < 0 || now < dueAt || childFd != null) return false;
        dueAt = -1;
        List<String> cmd = new ArrayList<>();
        cmd.add("setsid"); // its own session: a terminal or process group the keeper had is not the daemon's
        cmd.addAll(command.argv());
        try {
            Path cwd = Path.of(command.cwd());
            if (!Files.isDirectory(cwd)) throw new IOException("its working directory " + cwd + " is gone");
            Files.createDirectories(log.getParent());
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            // what bin/jlxcfs does before its exec: the daemon logs its first answer's delay from here
            Instant t = Instant.now();
            pb.environment().put("JLXCFS_EXEC_NS", String.valueOf(t.getEpochSecond() * 1_000_000_000L + t.getNano()));
            child = pb.start();
            childStarted = now;
            // our child: its pid cannot be reused before we reap it, so the identity read now is its own
            Optional<ProcessIdentity.Pidfd> fd = ProcessIdentity.of((int) child.pid()).flatMap(ProcessIdentity::open);
            if (fd.isEmpty()) {
                died("pid " + child.pid(), exitOf(child), 0, now);
                child = null;
                return false;
            }
            childFd = fd.get();
            LOG.log(System.Logger.Level.INFO, "started the daemon of " + mount + " again as pid " + child.pid() + ": "
                    + command + "; output in " + log);
            return true;
        } catch (IOException e) {
            child = null;
            died("not started", "could not be started (" + e.getMessage() + ")", 0, now);
            return false;
        }
    }
}
