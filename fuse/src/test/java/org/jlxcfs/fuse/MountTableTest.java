package org.jlxcfs.fuse;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MountTableTest {
    @Test
    void parsesMountinfoWithEscapesOptionalFieldsAndJunk() {
        List<MountTable.Mount> mounts = MountTable.parse(List.of(
                "44 27 0:42 / /tmp/with\\040space rw,nosuid,nodev,relatime shared:5 master:1 - fuse.jlxcfs jlxcfs rw,user_id=0",
                "garbage line",
                "x 27 0:42 / /bad rw - tmpfs tmpfs rw",
                "45 27 0:43 / /var/lib/lxcfs rw,relatime - fuse.lxcfs lxcfs rw,user_id=0,group_id=0,allow_other",
                "46 30 0:42 /proc/meminfo /proc/meminfo rw - fuse.jlxcfs jlxcfs rw"));
        assertThat(mounts).containsExactly(
                new MountTable.Mount(44, 27, "0:42", "/", "/tmp/with space", "fuse.jlxcfs", "jlxcfs"),
                new MountTable.Mount(45, 27, "0:43", "/", "/var/lib/lxcfs", "fuse.lxcfs", "lxcfs"),
                new MountTable.Mount(46, 30, "0:42", "/proc/meminfo", "/proc/meminfo", "fuse.jlxcfs", "jlxcfs"));
    }

    @Test
    void unescapesOnlyOctalTriples() {
        assertThat(MountTable.unescape("a\\134b\\011c\\x")).isEqualTo("a\\b\tc\\x");
    }

    @Test
    void repeatedOptionsAreTolerated() {
        assertThat(MountTable.parse(List.of(
                "47 27 0:44 / /mnt/x rw,rw,relatime shared:5 shared:5 - fuse.lxcfs lxcfs rw,user_id=0,user_id=0,allow_other,allow_other")))
                .containsExactly(new MountTable.Mount(47, 27, "0:44", "/", "/mnt/x", "fuse.lxcfs", "lxcfs"));
    }
}
