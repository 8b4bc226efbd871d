package org.jlxcfs.view.host;

import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Values kept for a second: those that change rarely (cgroup limits and settings, the host's
 * online CPUs, what CPUs a reader is shown) and a cgroup's task counts, which cost a /proc read
 * per task. A container's files are read thousands of times a second and each such value costs
 * at least one kernel file read; the usage counters a file shows are never kept.
 */
public final class Kept {
    private Kept() {}

    /** -Djlxcfs.keepMillis=0 turns keeping off (the fixture-tree tests change files between reads). */
    static final long KEEP_NANOS = Long.getLong("jlxcfs.keepMillis", 1000) * 1_000_000L;
    private static final int MAX = 16_384;
    private record Entry(Object value, long at) {}
    private static final ConcurrentHashMap<String, Entry> VALUES = new ConcurrentHashMap<>();

    public interface Reading<T> {
        T read() throws IOException;
    }

    /** The value kept under {@code key} if read within the last second, else a fresh reading. */
    @SuppressWarnings("unchecked")
    public static <T> T value(String key, Reading<T> reading) throws IOException {
        long now = System.nanoTime();
        Entry e = VALUES.get(key);
        if (e != null && now - e.at() < KEEP_NANOS) return (T) e.value();
        T value = reading.read();
        if (VALUES.size() > MAX) VALUES.clear(); // bounded: keys name cgroups, which come and go
        VALUES.put(key, new Entry(value, now));
        return value;
    }
}
