package org.jlxcfs.view.host;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Values kept for a second, one typed cache per concern, each owned by the class that uses it:
 * those that change rarely (cgroup limits and settings, the host's online CPUs, the CPUs a reader
 * is shown) and a cgroup's task counts, which cost a /proc read per task. A container's files are
 * read thousands of times a second and each such value costs at least one kernel file read; the
 * usage counters a file shows are never kept.
 *
 * <p>Each entry expires on its own a second after it was read, and a cache holds at most
 * {@code max} keys, the least recently used going first: a container that makes many keys
 * (cgroups, processes) pushes out old entries one by one, never everyone's at once. Keys that
 * name a process must be its identity ({@link ProcessIdentity}: pid + start time), so that a
 * recycled pid never gets another process's answer.
 *
 * @param <K> what the value is about (a cgroup directory, a process identity …)
 * @param <V> the value
 */
public final class Kept<K, V> {
    /** -Djlxcfs.keepMillis=0 turns keeping off (the fixture-tree tests change files between reads). */
    static final long KEEP_NANOS = Long.getLong("jlxcfs.keepMillis", 1000) * 1_000_000L;

    private record Held<V>(V value, long at) {}

    private final long keepNanos;
    private final LinkedHashMap<K, Held<V>> entries;

    public interface Reading<T> {
        T read() throws IOException;
    }

    /** Whether a fresh reading may be kept (asked only when one is made). */
    public interface Keepable<V> {
        boolean keep(V value);
    }

    /** @param max the most keys kept; the least recently used is dropped beyond it */
    public Kept(int max) {
        this(max, KEEP_NANOS);
    }

    /** Kept for {@code keepNanos} (0 or less: never) instead of a second. */
    public Kept(int max, long keepNanos) {
        if (max < 1) throw new IllegalArgumentException("max " + max);
        this.keepNanos = keepNanos;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Held<V>> eldest) {
                return size() > max;
            }
        };
    }

    /**
     * The value kept for {@code key} if read within the last second, else a fresh reading (made
     * outside the lock: two readers may both read, the later one is kept).
     */
    public V get(K key, Reading<V> reading) throws IOException {
        return get(key, reading, v -> true);
    }

    /** As {@link #get(Object, Reading)}, keeping a fresh reading only if {@code keepable} says so then. */
    public V get(K key, Reading<V> reading, Keepable<V> keepable) throws IOException {
        if (keepNanos <= 0) return reading.read();
        long now = System.nanoTime();
        synchronized (entries) {
            Held<V> e = entries.get(key);
            if (e != null && now - e.at() < keepNanos) return e.value();
        }
        V value = reading.read();
        if (!keepable.keep(value)) return value;
        synchronized (entries) {
            entries.put(key, new Held<>(value, now));
        }
        return value;
    }

    /** Keys held now, expired ones included (for tests and metrics). */
    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
