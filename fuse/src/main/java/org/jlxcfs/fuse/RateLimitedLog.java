package org.jlxcfs.fuse;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A log line at most once per period, with how many were held back since: failures a reader can
 * cause over and over (a hostile one on purpose) must not flood the log or slow the daemon.
 */
public final class RateLimitedLog {
    private final System.Logger log;
    private final long periodNanos;
    private final AtomicLong last;
    private final AtomicLong suppressed = new AtomicLong();

    public RateLimitedLog(System.Logger log, int periodSeconds) {
        this.log = log;
        this.periodNanos = periodSeconds * 1_000_000_000L;
        this.last = new AtomicLong(System.nanoTime() - periodNanos);
    }

    /** Logs {@code message} as a warning, with {@code cause}'s stack trace unless it is an expected kind (null: none). */
    public void log(String message, Throwable cause) {
        long now = System.nanoTime(), then = last.get();
        if (now - then < periodNanos || !last.compareAndSet(then, now)) {
            suppressed.incrementAndGet();
            return;
        }
        long more = suppressed.getAndSet(0);
        log.log(System.Logger.Level.WARNING, message + (cause != null && cause.getMessage() != null ? ": " + cause.getMessage() : "")
                + (more > 0 ? " (" + more + " more like it in the last " + periodNanos / 1_000_000_000L + " s)" : ""),
                cause instanceof java.io.IOException ? null : cause);
    }
}
