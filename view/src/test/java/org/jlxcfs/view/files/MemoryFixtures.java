package org.jlxcfs.view.files;

import org.jlxcfs.view.FixtureHost;
import org.jlxcfs.view.cgroup.Cgroup;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Shared fixtures for the memory files: a 16 GiB host with 8 GiB of swap and 160 MiB in zswap
 * (a kernel 6.x /proc/meminfo) and a Kubernetes-like container whose limits sit on the pod cgroup above it,
 * in a path with spaces, for the v2 and v1 (also hybrid) layouts.
 */
final class MemoryFixtures {
    private MemoryFixtures() {}

    static final String POD = "/kubepods/burstable/pod 7f3a";
    static final String CTR = POD + "/ctr 1";
    static final String GIB = "1073741824\n";
    static final String UNLIMITED_V1 = Cgroup.V1_UNLIMITED + "\n";

    static final String HOST_MEMINFO = """
            MemTotal:       16318164 kB
            MemFree:         9123456 kB
            MemAvailable:   13456789 kB
            Buffers:          312456 kB
            Cached:          4012344 kB
            SwapCached:        12288 kB
            Active:          3456780 kB
            Inactive:        2345678 kB
            Active(anon):    1234560 kB
            Inactive(anon):   456780 kB
            Active(file):    2222220 kB
            Inactive(file):  1888898 kB
            Unevictable:       65432 kB
            Mlocked:           32768 kB
            SwapTotal:       8388604 kB
            SwapFree:        8123456 kB
            Zswap:             40960 kB
            Zswapped:         163840 kB
            Dirty:              4592 kB
            Writeback:             0 kB
            AnonPages:       1654320 kB
            Mapped:           567890 kB
            Shmem:            123456 kB
            KReclaimable:     345678 kB
            Slab:             456789 kB
            SReclaimable:     345678 kB
            SUnreclaim:       111111 kB
            KernelStack:       14400 kB
            PageTables:        25600 kB
            SecPageTables:         0 kB
            NFS_Unstable:          0 kB
            Bounce:                0 kB
            WritebackTmp:          0 kB
            CommitLimit:    16547684 kB
            Committed_AS:    5678901 kB
            VmallocTotal:   34359738367 kB
            VmallocUsed:       54321 kB
            VmallocChunk:          0 kB
            Percpu:             6880 kB
            HardwareCorrupted:     0 kB
            AnonHugePages:    412672 kB
            ShmemHugePages:        0 kB
            ShmemPmdMapped:        0 kB
            FileHugePages:         0 kB
            FilePmdMapped:         0 kB
            HugePages_Total:       0
            HugePages_Free:        0
            HugePages_Rsvd:        0
            HugePages_Surp:        0
            Hugepagesize:       2048 kB
            Hugetlb:               0 kB
            DirectMap4k:      456704 kB
            DirectMap2M:    12138496 kB
            DirectMap1G:     4194304 kB
            """;

    /** A kernel 6.x /proc/swaps: one partition, padded to 40 columns. */
    static final String HOST_SWAPS = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
            + "/dev/nvme0n1p3" + " ".repeat(26) + "partition\t8388604\t\t265148\t\t-2\n";

    /**
     * A v2 memory.stat (kernel 6.x key order): 100 MiB anon, 200 MiB file, 5 MiB slab; 32 MiB of
     * the 64 MiB swapped out held in zswap, compressed to 8 MiB.
     */
    static final String V2_STAT = """
            anon 104857600
            file 209715200
            kernel 8388608
            kernel_stack 1048576
            pagetables 2097152
            sec_pagetables 0
            percpu 524288
            sock 4096
            vmalloc 8192
            shmem 10485760
            zswap 8388608
            zswapped 33554432
            file_mapped 52428800
            file_dirty 1052672
            file_writeback 266240
            swapcached 131072
            anon_thp 20971520
            file_thp 0
            shmem_thp 2097152
            inactive_anon 94371840
            active_anon 20971520
            inactive_file 125829120
            active_file 73400320
            unevictable 4194304
            slab_reclaimable 3145728
            slab_unreclaimable 2097152
            slab 5242880
            workingset_refault_anon 0
            workingset_refault_file 1234
            workingset_activate_anon 0
            workingset_activate_file 56
            workingset_restore_anon 0
            workingset_restore_file 12
            workingset_nodereclaim 0
            pgscan 0
            pgsteal 0
            pgscan_kswapd 0
            pgscan_direct 0
            pgscan_khugepaged 0
            pgsteal_kswapd 0
            pgsteal_direct 0
            pgsteal_khugepaged 0
            pgfault 2345678
            pgmajfault 123
            pgrefill 0
            pgactivate 4567
            pgdeactivate 0
            pglazyfree 0
            pglazyfreed 0
            zswpin 0
            zswpout 0
            zswpwb 0
            thp_fault_alloc 10
            thp_collapse_alloc 0
            thp_swpout 0
            thp_swpout_fallback 0
            """;

    /**
     * A v1 memory.stat of a cgroup with children: the local keys differ from the hierarchical
     * total_* ones, which are the container's (110 MiB rss, 210 MiB cache, 48 MiB swapped).
     */
    static final String V1_STAT = """
            cache 104857600
            rss 52428800
            rss_huge 0
            shmem 1048576
            mapped_file 10485760
            dirty 0
            writeback 0
            workingset_refault_anon 0
            workingset_refault_file 0
            swap 0
            swapcached 0
            pgpgin 100
            pgpgout 50
            pgfault 1000
            pgmajfault 1
            inactive_anon 26214400
            active_anon 27262976
            inactive_file 62914560
            active_file 41943040
            unevictable 0
            hierarchical_memory_limit 1073741824
            hierarchical_memsw_limit 1610612736
            total_cache 220200960
            total_rss 115343360
            total_rss_huge 41943040
            total_shmem 8388608
            total_mapped_file 31457280
            total_dirty 847872
            total_writeback 135168
            total_workingset_refault_anon 12
            total_workingset_refault_file 345
            total_swap 50331648
            total_swapcached 65536
            total_pgpgin 123456
            total_pgpgout 98765
            total_pgfault 456789
            total_pgmajfault 321
            total_inactive_anon 83886080
            total_active_anon 39845888
            total_inactive_file 136314880
            total_active_file 75497472
            total_unevictable 2097152
            """;

    /** v2: 1 GiB and 512 MiB of swap on the pod; 308.5 MiB used, 64 MiB swapped. */
    static FixtureHost v2(Path root) {
        return FixtureHost.v2(root).proc("meminfo", HOST_MEMINFO).proc("swaps", HOST_SWAPS)
                .cgroup("", "/kubepods", "memory.max", "max\n")
                .cgroup("", "/kubepods", "memory.swap.max", "max\n")
                .cgroup("", POD, "memory.max", GIB)
                .cgroup("", POD, "memory.swap.max", "536870912\n")
                .cgroup("", CTR, "memory.max", "max\n")
                .cgroup("", CTR, "memory.swap.max", "max\n")
                .cgroup("", CTR, "memory.current", "323551232\n")
                .cgroup("", CTR, "memory.swap.current", "67108864\n")
                .cgroup("", CTR, "memory.stat", V2_STAT);
    }

    /**
     * v1 or hybrid: 1 GiB memory and 1.5 GiB memory+swap on the pod; 325 MiB used; memsw usage
     * 48.25 MiB above usage (the fuzz of the two counters), memory.stat total_swap 48 MiB.
     */
    static FixtureHost v1(FixtureHost.Layout layout, Path root) {
        return FixtureHost.of(layout, root).proc("meminfo", HOST_MEMINFO).proc("swaps", HOST_SWAPS)
                .cgroup("memory", "/", "memory.limit_in_bytes", UNLIMITED_V1)
                .cgroup("memory", "/", "memory.memsw.limit_in_bytes", UNLIMITED_V1)
                .cgroup("memory", "/", "memory.memsw.usage_in_bytes", "5368709120\n")
                .cgroup("memory", POD, "memory.limit_in_bytes", GIB)
                .cgroup("memory", POD, "memory.memsw.limit_in_bytes", "1610612736\n")
                .cgroup("memory", CTR, "memory.limit_in_bytes", UNLIMITED_V1)
                .cgroup("memory", CTR, "memory.memsw.limit_in_bytes", UNLIMITED_V1)
                .cgroup("memory", CTR, "memory.usage_in_bytes", "340787200\n")
                .cgroup("memory", CTR, "memory.memsw.usage_in_bytes", "391380992\n")
                .cgroup("memory", CTR, "memory.swappiness", "60\n")
                .cgroup("memory", CTR, "memory.stat", V1_STAT);
    }

    /**
     * {@code text} with the lines of the same labels (text before ':') replaced by
     * {@code lines}, written out in full so the expectation stays literal.
     */
    static String replaceLines(String text, String... lines) {
        Map<String, String> byLabel = new LinkedHashMap<>();
        for (String l : lines) byLabel.put(l.substring(0, l.indexOf(':')), l);
        String out = Arrays.stream(text.split("\n", -1))
                .map(l -> {
                    int c = l.indexOf(':');
                    return c > 0 && byLabel.containsKey(l.substring(0, c)) ? byLabel.remove(l.substring(0, c)) : l;
                })
                .collect(Collectors.joining("\n"));
        if (!byLabel.isEmpty()) throw new IllegalArgumentException("no line for " + byLabel.keySet());
        return out;
    }
}
