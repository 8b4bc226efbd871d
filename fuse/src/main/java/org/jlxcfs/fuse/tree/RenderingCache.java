package org.jlxcfs.fuse.tree;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Renderings kept for later reads, within a byte budget: when a new one does not fit, the least
 * recently used go, those already read to their end keeping just their length (so the read at the
 * end that follows still finds the end). What readers do (how many files they hold open, how
 * little of each they read) therefore never grows the daemon's memory past the budget; a reader
 * whose rendering was dropped gets a fresh one on its next read, as a reader at offset 0 always does.
 *
 * @param <K> what a rendering is kept for (a file handle)
 */
final class RenderingCache<K> {
    /** What an entry costs besides its bytes (map node, key, record), so a million tiny entries count too. */
    static final int ENTRY_COST = 96;

    /**
     * A kept rendering; {@code bytes} is null when only its length was worth keeping: the reader
     * had all of it ({@code allRead}) and the budget was short.
     */
    record Kept(byte[] bytes, int length, boolean allRead) {
        long cost() {
            return ENTRY_COST + (bytes == null ? 0 : bytes.length);
        }
    }

    private final long budget;
    private final LinkedHashMap<K, Kept> entries = new LinkedHashMap<>(64, 0.75f, true);
    private long used;
    private long dropped;

    RenderingCache(long budgetBytes) {
        this.budget = budgetBytes;
    }

    synchronized Kept get(K key) {
        return entries.get(key);
    }

    /**
     * Keeps {@code bytes}, noting whether the reader has had all of them; a rendering larger than
     * the whole budget keeps only its length, if all read, else nothing.
     */
    synchronized void put(K key, byte[] bytes, boolean allRead) {
        Kept k = new Kept(bytes, bytes.length, allRead);
        Kept old = entries.remove(key);
        if (old != null) used -= old.cost();
        if (k.cost() > budget) {
            if (!allRead) return;
            k = new Kept(null, bytes.length, true);
        }
        makeRoom(k.cost());
        entries.put(key, k);
        used += k.cost();
    }

    /**
     * Least recently used first: one that was read to its end keeps its length, any other (and a
     * length alone) goes. One pass, so a put costs the same however many handles there are.
     */
    private void makeRoom(long needed) {
        if (used + needed <= budget) return; // the usual case: no iterator made on every read
        Iterator<Map.Entry<K, Kept>> it = entries.entrySet().iterator();
        while (used + needed > budget && it.hasNext()) {
            Map.Entry<K, Kept> e = it.next();
            Kept k = e.getValue();
            if (k.allRead() && k.bytes() != null) {
                used -= k.bytes().length;
                e.setValue(new Kept(null, k.length(), true));
            } else {
                used -= k.cost();
                it.remove();
                dropped++;
            }
        }
    }

    synchronized void remove(K key) {
        Kept k = entries.remove(key);
        if (k != null) used -= k.cost();
    }

    synchronized int size() {
        return entries.size();
    }

    synchronized long usedBytes() {
        return used;
    }

    /** Entries dropped to stay within the budget, since the start. */
    synchronized long dropped() {
        return dropped;
    }
}
