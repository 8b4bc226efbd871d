package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * zswap in a container's /proc/meminfo on a real cgroup v2 kernel: {@link ZswapLiveTest} in the VM
 * of bin/cgroup2-vm (Debian's 6.1 kernel: CONFIG_ZSWAP, off by default), on a 1 GiB zram swap
 * device the test makes there with zswap turned on in front of it. The VM's root is a tmpfs, on
 * which the kernel refuses a swap file; zram is a block device in RAM, which it takes.
 * Run it with {@code -am}: without, the VM's classpath has the view jar of ~/.m2, which any
 * other checkout's {@code install} replaces.
 */
class ZswapVmIT {
    @Test
    void zswapLinesFollowTheCgroupsMemoryStatOnCgroupV2() throws Exception {
        Run.Result r = CgroupV2VmIT.inVm(List.of("-Djlxcfs.test.zramSwap=1G"), ZswapLiveTest.class.getName());
        assertThat(r.out()).as(r.out() + r.err()).contains("zswap in a 64 MiB v2 container")
                .containsPattern("(?m)^2 passed, 0 failed, 0 skipped");
        assertThat(r.exit()).isZero();
    }
}
