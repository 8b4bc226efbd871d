package org.jlxcfs.daemon;

import org.jlxcfs.fuse.FuseSession;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a daemon's start goes, from its exec ({@link FuseSession#execNanos}) to serving: the
 * stall readers see after a crash. Phases are stamped as they end (a clock read, nothing more)
 * and logged once, at debug level ({@code -d}), when the daemon serves, with the process's CPU time
 * by then (the steadier figure on a busy machine); the first answer itself
 * is FuseSession's INFO line.
 */
final class StartTimes {
    private static final System.Logger LOG = System.getLogger("jlxcfs");
    private static final List<String> PHASES = new ArrayList<>(16);
    private static final List<Long> ENDS = new ArrayList<>(16);
    private static boolean logged;

    private StartTimes() {}

    /** Stamps the end of {@code phase}. */
    static synchronized void mark(String phase) {
        if (logged) return;
        PHASES.add(phase);
        ENDS.add(nowNanos());
    }

    /** Logs the phases stamped so far, once, each with its own duration: "main() 180, arguments 40, ... = 520 ms". */
    static synchronized void log() {
        if (logged) return;
        logged = true;
        if (!LOG.isLoggable(System.Logger.Level.DEBUG)) return;
        long exec = FuseSession.execNanos();
        if (exec <= 0 || ENDS.isEmpty()) return;
        StringBuilder sb = new StringBuilder(256).append("start (ms after the previous step): ");
        long last = exec;
        for (int i = 0; i < PHASES.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(PHASES.get(i)).append(' ').append((ENDS.get(i) - last) / 1_000_000L);
            last = ENDS.get(i);
        }
        sb.append("; ").append((last - exec) / 1_000_000L).append(" ms after exec");
        // all threads' CPU so far: on a busy machine it varies far less than the wall clock
        ProcessHandle.current().info().totalCpuDuration().ifPresent(cpu -> sb.append(", ").append(cpu.toMillis()).append(" ms of CPU"));
        LOG.log(System.Logger.Level.DEBUG, sb.toString());
    }

    private static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
