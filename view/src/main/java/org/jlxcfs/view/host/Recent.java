package org.jlxcfs.view.host;

import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bytes read or rendered in the last few milliseconds, shared by every reader that asks for the
 * same key: kernel files ({@link SysFiles}) and renderings of a file per container
 * ({@code org.jlxcfs.view.SharedRendering}). One open/read/close of
 * a virtual file reads several kernel files (the reader's pid namespace and cgroups, the host's
 * /proc file, the container's cgroup counters), and on a busy container the same ones are read
 * again within microseconds by the next reader: each such read costs three system calls, which
 * were most of the daemon's time per request. Counters a few milliseconds old are as good as
 * fresh to every program that reads these files (top and free look every second or more), and a
 * reader at offset 0 still gets a rendering of its own, made from them.
 *
 * <p>Only successful reads are kept. Bounded in entries and bytes: a container that makes the
 * daemon read many distinct files (many processes, many cgroups) first drops the expired
 * entries, then everything; never more than the bounds stay resident.
 */
public final class Recent<K> {
    /** -Djlxcfs.shareMillis=N; 0 turns sharing off, as does -Djlxcfs.keepMillis=0 (fixture trees change between reads). */
    public static final long SHARE_NANOS = Kept.KEEP_NANOS <= 0 ? 0 : Long.getLong("jlxcfs.shareMillis", 5) * 1_000_000L;
    public static final int MAX_ENTRIES = 512;
    public static final long MAX_BYTES = 1L << 20;

    private record Entry(byte[] bytes, long at) {}

    private final long shareNanos;
    private final int maxEntries;
    private final long maxBytes;
    private final ConcurrentHashMap<K, Entry> entries = new ConcurrentHashMap<>();
    private long bytes;
    private long lastSweep = System.nanoTime();
    /** Expired entries are dropped at least this often, so idle containers' readings do not stay in the heap. */
    private static final long SWEEP_NANOS = 1_000_000_000L;

    public interface Reading {
        byte[] read() throws IOException;
    }

    /** At most {@code maxEntries} keys and {@code maxBytes} bytes. */
    public Recent(int maxEntries, long maxBytes) {
        this(SHARE_NANOS, maxEntries, maxBytes);
    }

    /** With an explicit sharing time (tests; the daemon's comes from the system properties). */
    public Recent(long shareNanos, int maxEntries, long maxBytes) {
        this.shareNanos = shareNanos;
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
    }

    /** The bytes of {@code key} if read within the sharing time, else a fresh reading (kept). Never to be modified. */
    public byte[] get(K key, Reading reading) throws IOException {
        if (shareNanos <= 0) return reading.read();
        long now = System.nanoTime();
        Entry e = entries.get(key);
        if (e != null && now - e.at() < shareNanos) return e.bytes();
        byte[] fresh = reading.read();
        put(key, new Entry(fresh, now), now);
        return fresh;
    }

    private synchronized void put(K key, Entry e, long now) {
        if (e.bytes().length > maxBytes / 8) return; // a huge file would push out everything else
        Entry old = entries.put(key, e);
        bytes += e.bytes().length - (old == null ? 0 : old.bytes().length);
        boolean over = entries.size() > maxEntries || bytes > maxBytes;
        if (!over && now - lastSweep < SWEEP_NANOS) return;
        lastSweep = now;
        entries.entrySet().removeIf(x -> now - x.getValue().at() >= shareNanos);
        bytes = 0;
        for (Entry x : entries.values()) bytes += x.bytes().length;
        if (over && (entries.size() > maxEntries / 2 || bytes > maxBytes / 2)) {
            entries.clear();
            bytes = 0;
        }
    }

    /** Entries held now (for tests). */
    int size() {
        return entries.size();
    }

    /** Bytes held now (for tests). */
    synchronized long bytes() {
        return bytes;
    }
}
