package org.jlxcfs.view;

import org.jlxcfs.view.cgroup.ContainerCgroups;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A reader's resolution is reused for the sharing time only, and only for that very pid. */
class RecentResolutionsTest {
    static final long SHARE = 5_000_000L;

    static Container container(int init, String path) {
        return new Container(init, init, 100, new ContainerCgroups(null, Map.of("cpu", path), null));
    }

    @Test
    void reusedWithinTheSharingTimeOnly() {
        RecentResolutions r = new RecentResolutions(SHARE);
        Container a = container(10, "/a");
        r.put(4711, a, 1_000L);
        assertThat(r.get(4711, 1_000L)).isSameAs(a);
        assertThat(r.get(4711, 1_000L + SHARE - 1)).isSameAs(a);
        assertThat(r.get(4711, 1_000L + SHARE)).as("expired").isNull();
    }

    @Test
    void anotherPidNeverGetsIt() {
        RecentResolutions r = new RecentResolutions(SHARE);
        r.put(4711, container(10, "/a"), 0);
        assertThat(r.get(4712, 1)).isNull();
        // the same slot (pids 1024 apart): the newer resolution replaces the older, never answers for it
        Container b = container(20, "/b");
        r.put(4711 + 1024, b, 2);
        assertThat(r.get(4711, 3)).isNull();
        assertThat(r.get(4711 + 1024, 3)).isSameAs(b);
    }

    @Test
    void offWithoutASharingTime() {
        RecentResolutions r = new RecentResolutions(0);
        r.put(1, container(10, "/a"), 0);
        assertThat(r.get(1, 0)).isNull();
    }
}
