package org.jlxcfs.fuse.tree;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class NodeTableTest {
    @Test
    void findsEveryKeyAndNothingElse() {
        Random random = new Random(11);
        Map<Long, String> m = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            long k = random.nextLong() & Long.MAX_VALUE;
            m.put(k, "v" + k);
        }
        m.put(1L, "root");
        // ids differing only in their high bits
        for (long k = 1L << 40; k < (1L << 40) + 8; k++) m.put(k << 20, "c" + k);
        NodeTable<String> t = new NodeTable<>(m);
        m.forEach((k, v) -> assertThat(t.get(k)).isEqualTo(v));
        for (int i = 0; i < 1000; i++) {
            long k = random.nextLong() & Long.MAX_VALUE;
            if (!m.containsKey(k)) assertThat(t.get(k)).isNull();
        }
        assertThat(t.get(0)).isNull();
    }

    @Test
    void emptyAndSingle() {
        assertThat(new NodeTable<String>(Map.of()).get(1)).isNull();
        NodeTable<String> one = new NodeTable<>(Map.of(1L, "root"));
        assertThat(one.get(1)).isEqualTo("root");
        assertThat(one.get(2)).isNull();
    }
}
