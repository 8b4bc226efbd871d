package org.jlxcfs.fuse.tree;

import java.util.Map;

/**
 * The tree's nodes by id, fixed once built: open addressing on primitive keys, so the lookup
 * every request starts with boxes nothing and compares longs (a {@code Map<Long, ?>} allocates a
 * Long per lookup of an id past the small-value cache, which all our hashed ids are).
 *
 * @param <V> the node type
 */
final class NodeTable<V> {
    private final long[] keys;
    private final Object[] values;
    private final int mask;

    NodeTable(Map<Long, V> nodes) {
        int cap = Integer.highestOneBit(Math.max(4, nodes.size() * 2 - 1)) << 1; // load factor <= 1/2
        keys = new long[cap];
        values = new Object[cap];
        mask = cap - 1;
        for (Map.Entry<Long, V> e : nodes.entrySet()) {
            int i = slot(e.getKey());
            while (values[i] != null) i = (i + 1) & mask;
            keys[i] = e.getKey();
            values[i] = e.getValue();
        }
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L; // ids are already hashes; this spreads the low bits anyway
        return (int) (h >>> 32) & mask;
    }

    /** The node with this id, or null. */
    @SuppressWarnings("unchecked")
    V get(long key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            Object v = values[i];
            if (v == null) return null;
            if (keys[i] == key) return (V) v;
        }
    }
}
