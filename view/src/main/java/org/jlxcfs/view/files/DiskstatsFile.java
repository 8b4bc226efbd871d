package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.cgroup.Cgroup;
import org.jlxcfs.view.host.Host;
import org.jlxcfs.view.host.Text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * /proc/diskstats of the container: one line per block device the container did I/O on, in the
 * kernel's current layout ({@code major minor name} and 17 values: reads, reads merged, sectors
 * read, ms reading, writes, writes merged, sectors written, ms writing, I/Os in progress, ms doing
 * I/O, weighted ms, discards, discards merged, sectors discarded, ms discarding, flushes, ms
 * flushing), printed as the kernel prints it ({@code %4d %7d %s} then the values). Devices and
 * their order and names come from the host's /proc/diskstats.
 *
 * <p>Sources (counters include the cgroup's descendants in every case but the last):
 * <ul>
 * <li>v2 {@code io.stat}: rios/wios/dios, rbytes/wbytes/dbytes (sectors = bytes / 512). Merges,
 *     times, in-flight and flushes are not kept by cgroups: 0.
 * <li>v1 with CFQ-era files ({@code blkio.io_serviced_recursive} and
 *     {@code blkio.io_service_bytes_recursive}; kernels before 5.0): also merges
 *     ({@code io_merged_recursive}) and times ({@code io_service_time_recursive} +
 *     {@code io_wait_time_recursive}, ns → ms per direction; ms doing I/O = service time Total;
 *     weighted ms = the sum of the per-direction times, as the kernel defines it since 5.0).
 * <li>v1 otherwise: {@code blkio.throttle.io_serviced_recursive} and
 *     {@code blkio.throttle.io_service_bytes_recursive} (every current kernel has them); counts
 *     and sectors only.
 * <li>v1 without recursive throttle files (old kernels): the non-recursive
 *     {@code blkio.throttle.io_serviced} / {@code io_service_bytes} (I/O of sub-cgroups missed).
 * </ul>
 *
 * <p>Host file when the container has no io/blkio cgroup, is in the root cgroup, or its cgroup has
 * none of the files above (v2 io controller not enabled for it). An existing but empty io.stat
 * (no I/O yet) gives an empty file. Devices the host no longer lists are left out (no name);
 * malformed values count as 0.
 */
public final class DiskstatsFile implements VirtualFile {
    static final int READS = 0, READ_MERGES = 1, READ_SECTORS = 2, READ_MS = 3, WRITES = 4, WRITE_MERGES = 5,
            WRITE_SECTORS = 6, WRITE_MS = 7, IN_FLIGHT = 8, IO_MS = 9, WEIGHTED_MS = 10, DISCARDS = 11,
            DISCARD_MERGES = 12, DISCARD_SECTORS = 13, DISCARD_MS = 14, FLUSHES = 15, FLUSH_MS = 16, VALUES = 17;

    private final Host host;

    public DiskstatsFile(Host host) {
        this.host = host;
    }

    @Override
    public String path() {
        return "proc/diskstats";
    }

    @Override
    public byte[] render(Container container) throws IOException {
        Optional<Cgroup> io = container.cgroups().io();
        if (io.isEmpty() || io.get().isRoot()) return host.procFile("diskstats");
        Map<String, long[]> stats = io.get().hierarchy().v2() ? fromIoStat(io.get()) : fromBlkio(io.get());
        if (stats == null) return host.procFile("diskstats");
        StringBuilder out = new StringBuilder();
        for (String line : host.procLines("diskstats")) {
            String[] f = Text.fields(line);
            if (f.length < 3) continue;
            long[] v = stats.get(f[0] + ":" + f[1]);
            if (v == null || allZero(v)) continue;
            int major, minor;
            try {
                major = Integer.parseInt(f[0]);
                minor = Integer.parseInt(f[1]);
            } catch (NumberFormatException e) {
                continue;
            }
            out.append(String.format("%4d %7d %s", major, minor, f[2]));
            for (long x : v) out.append(' ').append(x);
            out.append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** v2: "8:0 rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N [more keys]" per device. */
    private static Map<String, long[]> fromIoStat(Cgroup cg) throws IOException {
        if (!cg.exists("io.stat")) return null;
        Map<String, long[]> stats = new HashMap<>();
        Optional<String> text = cg.read("io.stat");
        if (text.isEmpty()) return stats;
        for (String line : text.get().split("\n")) {
            String[] f = Text.fields(line);
            if (f.length < 2 || f[0].indexOf(':') < 0) continue;
            long[] v = new long[VALUES];
            for (int i = 1; i < f.length; i++) {
                int eq = f[i].indexOf('=');
                if (eq <= 0) continue;
                long x = number(f[i].substring(eq + 1));
                switch (f[i].substring(0, eq)) {
                    case "rios" -> v[READS] = x;
                    case "wios" -> v[WRITES] = x;
                    case "dios" -> v[DISCARDS] = x;
                    case "rbytes" -> v[READ_SECTORS] = x / 512;
                    case "wbytes" -> v[WRITE_SECTORS] = x / 512;
                    case "dbytes" -> v[DISCARD_SECTORS] = x / 512;
                    default -> { } // io.cost / io.latency extras
                }
            }
            stats.putIfAbsent(f[0], v);
        }
        return stats;
    }

    /** v1 blkio: the CFQ-era files when present, else the throttle layer's. */
    private static Map<String, long[]> fromBlkio(Cgroup cg) throws IOException {
        if (cg.exists("blkio.io_serviced_recursive") && cg.exists("blkio.io_service_bytes_recursive")) {
            return fromCfq(cg);
        }
        for (String suffix : new String[] {"_recursive", ""}) {
            String ops = "blkio.throttle.io_serviced" + suffix, bytes = "blkio.throttle.io_service_bytes" + suffix;
            if (cg.exists(ops) && cg.exists(bytes)) {
                Map<String, long[]> stats = new HashMap<>();
                Map<String, long[]> serviced = typed(cg, ops), serviceBytes = typed(cg, bytes);
                for (String dev : union(serviced, serviceBytes)) {
                    long[] v = new long[VALUES];
                    long[] s = serviced.getOrDefault(dev, NONE), b = serviceBytes.getOrDefault(dev, NONE);
                    v[READS] = s[READ];
                    v[WRITES] = s[WRITE];
                    v[DISCARDS] = s[DISCARD];
                    v[READ_SECTORS] = b[READ] / 512;
                    v[WRITE_SECTORS] = b[WRITE] / 512;
                    v[DISCARD_SECTORS] = b[DISCARD] / 512;
                    stats.put(dev, v);
                }
                return stats;
            }
        }
        return null;
    }

    private static Map<String, long[]> fromCfq(Cgroup cg) throws IOException {
        Map<String, long[]> serviced = typed(cg, "blkio.io_serviced_recursive"),
                bytes = typed(cg, "blkio.io_service_bytes_recursive"),
                merged = typed(cg, "blkio.io_merged_recursive"),
                serviceTime = typed(cg, "blkio.io_service_time_recursive"),
                waitTime = typed(cg, "blkio.io_wait_time_recursive");
        Map<String, long[]> stats = new HashMap<>();
        for (String dev : union(serviced, bytes, merged, serviceTime, waitTime)) {
            long[] s = serviced.getOrDefault(dev, NONE), b = bytes.getOrDefault(dev, NONE), m = merged.getOrDefault(dev, NONE),
                    st = serviceTime.getOrDefault(dev, NONE), wt = waitTime.getOrDefault(dev, NONE);
            long[] v = new long[VALUES];
            v[READS] = s[READ];
            v[WRITES] = s[WRITE];
            v[DISCARDS] = s[DISCARD];
            v[READ_MERGES] = m[READ];
            v[WRITE_MERGES] = m[WRITE];
            v[DISCARD_MERGES] = m[DISCARD];
            v[READ_SECTORS] = b[READ] / 512;
            v[WRITE_SECTORS] = b[WRITE] / 512;
            v[DISCARD_SECTORS] = b[DISCARD] / 512;
            v[READ_MS] = st[READ] / 1_000_000 + wt[READ] / 1_000_000;
            v[WRITE_MS] = st[WRITE] / 1_000_000 + wt[WRITE] / 1_000_000;
            v[DISCARD_MS] = st[DISCARD] / 1_000_000 + wt[DISCARD] / 1_000_000;
            v[IO_MS] = st[TOTAL] / 1_000_000;
            v[WEIGHTED_MS] = sat(sat(v[READ_MS], v[WRITE_MS]), v[DISCARD_MS]);
            stats.put(dev, v);
        }
        return stats;
    }

    private static final int READ = 0, WRITE = 1, DISCARD = 2, TOTAL = 3;
    private static final long[] NONE = new long[4];

    /** v1 "8:0 Read 123" lines (also Write, Sync, Async, Discard, Total) → per device [R, W, D, Total]. */
    private static Map<String, long[]> typed(Cgroup cg, String file) throws IOException {
        Map<String, long[]> values = new HashMap<>();
        Optional<String> text = cg.read(file);
        if (text.isEmpty()) return values;
        for (String line : text.get().split("\n")) {
            String[] f = Text.fields(line);
            if (f.length != 3 || f[0].indexOf(':') < 0) continue;
            int type = switch (f[1]) {
                case "Read" -> READ;
                case "Write" -> WRITE;
                case "Discard" -> DISCARD;
                case "Total" -> TOTAL;
                default -> -1;
            };
            if (type < 0) continue;
            long[] v = values.computeIfAbsent(f[0], k -> new long[] {-1, -1, -1, -1});
            if (v[type] < 0) v[type] = number(f[2]); // the first line for a device and type counts
        }
        for (long[] v : values.values()) for (int i = 0; i < v.length; i++) v[i] = Math.max(v[i], 0);
        return values;
    }

    @SafeVarargs
    private static java.util.Set<String> union(Map<String, long[]>... maps) {
        java.util.Set<String> devices = new java.util.HashSet<>();
        for (Map<String, long[]> m : maps) devices.addAll(m.keySet());
        return devices;
    }

    /** A counter: unsigned 64-bit in the kernel; beyond Long.MAX_VALUE it saturates, garbage is 0. */
    private static long number(String s) {
        try {
            long v = Long.parseUnsignedLong(s);
            return v < 0 ? Long.MAX_VALUE : v;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static long sat(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }

    private static boolean allZero(long[] v) {
        for (long x : v) if (x != 0) return false;
        return true;
    }
}
