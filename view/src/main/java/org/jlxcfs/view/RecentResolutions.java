package org.jlxcfs.view;

/**
 * The container each reader pid was resolved to in the last few milliseconds: a reader in a
 * loop (or the many threads of a busy container) then costs one array lookup per read instead of
 * the path building, link and file lookups and parsing of a resolution. The answer is as fresh as
 * the kernel files it came from, which {@link org.jlxcfs.view.host.Recent} shares for the same
 * time anyway (the reader's pid namespace link and its init's cgroup file are read through it).
 *
 * <p>Keyed by pid alone, like the pid namespace link it replaces: the kernel hands pids out
 * cyclically, so a pid is used again only after the whole pid space has been gone through, never
 * within milliseconds (a container cannot fork that fast).
 *
 * <p>Direct-mapped by pid, fixed size: memory is bounded whatever readers do, and two pids
 * sharing a slot only cost each other a fresh resolution. Lock-free: slots hold immutable
 * records, so a racing reader sees a whole one or misses.
 */
final class RecentResolutions {
    private static final int SLOTS = 1024; // a power of two

    private record Slot(int pid, Container container, long at) {}

    private final Slot[] slots = new Slot[SLOTS];
    private final long shareNanos;

    /** @param shareNanos how long an answer is reused; 0 or less: never */
    RecentResolutions(long shareNanos) {
        this.shareNanos = shareNanos;
    }

    /** The container {@code pid} was resolved to within the sharing time before {@code now}, else null. */
    Container get(int pid, long now) {
        Slot s = slots[pid & (SLOTS - 1)];
        return s != null && s.pid == pid && now - s.at < shareNanos ? s.container : null;
    }

    /** Records a resolution made at {@code at} (taken before it started, so it never outlives its inputs by more). */
    void put(int pid, Container container, long at) {
        if (shareNanos > 0) slots[pid & (SLOTS - 1)] = new Slot(pid, container, at);
    }
}
