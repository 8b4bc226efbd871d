package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.host.Host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code /proc/cpuinfo}: the host's file cut to the CPUs the container is shown ({@link
 * org.jlxcfs.view.cgroup.CpuView}: its cpuset, at most ceil(quota) of them), renumbered from 0.
 *
 * <p>The file is split into per-CPU blocks (a {@code processor : N} line up to and including the
 * next blank line) and everything else, which is kept: so lines after the last block (arm32's
 * {@code Hardware}, powerpc's {@code timebase}/{@code platform}) survive even when the host's last
 * CPU is not shown (LXCFS drops them then). Inside shown blocks {@code siblings} and {@code cpu
 * cores} are recomputed over the shown CPUs of the same {@code physical id} (siblings = shown CPUs
 * in the package, cpu cores = distinct {@code core id}s among them), so that programs that size
 * themselves from them (threads = siblings, HT = siblings / cpu cores) agree with the CPU count;
 * LXCFS passes the host's topology through. s390 ({@code vendor_id : IBM/S390}): the {@code
 * processor N: ...} summary lines and the {@code cpu number : N} blocks are filtered and
 * renumbered the same way and {@code # processors} holds the count shown.
 *
 * <p>Fallbacks: the container sees every online host CPU (root cpuset, no quota) → the host file
 * as it is; no block of the host file belongs to a shown CPU (a cpuset naming only offline CPUs)
 * → the host file, rather than an empty file that would break every CPU-counting program.
 */
public final class CpuinfoFile implements VirtualFile {
    private static final Pattern PROCESSOR = Pattern.compile("^processor\\s*:\\s*(\\d+)\\s*$");
    private static final Pattern S390_PROCESSOR = Pattern.compile("^processor\\s+(\\d+)\\s*:(.*)$");
    private static final Pattern S390_CPU_NUMBER = Pattern.compile("^cpu number\\s*:\\s*(\\d+)\\s*$");

    private final Host host;
    private final ViewOptions options;

    public CpuinfoFile(Host host, ViewOptions options) {
        this.host = host;
        this.options = options;
    }

    @Override
    public String path() {
        return "proc/cpuinfo";
    }

    /** A run of lines: one CPU's (cpu >= 0; a block, or an s390 summary line) or the file's own (cpu = -1). */
    private record Segment(int cpu, List<String> lines) {}

    @Override
    public byte[] render(Container container) throws IOException {
        byte[] hostFile = host.procFile("cpuinfo");
        ShownCpus shown = ShownCpus.of(container, host, options);
        if (shown.identity()) return hostFile;
        String text = new String(hostFile, StandardCharsets.UTF_8);
        boolean trailingNewline = text.endsWith("\n");
        String[] lines = (trailingNewline ? text.substring(0, text.length() - 1) : text).split("\n", -1);
        boolean s390 = false;
        for (String l : lines) {
            if (l.startsWith("vendor_id") && l.contains("IBM/S390")) s390 = true;
        }
        List<Segment> segments = split(lines, s390);

        // Dense new ids, in host id order, for the shown CPUs the file describes.
        Set<Integer> visible = new HashSet<>();
        for (int id : shown.hostIds()) visible.add(id);
        TreeSet<Integer> present = new TreeSet<>();
        for (Segment s : segments) if (s.cpu >= 0 && visible.contains(s.cpu)) present.add(s.cpu);
        if (present.isEmpty()) return hostFile;
        Map<Integer, Integer> newId = new HashMap<>();
        for (int id : present) newId.put(id, newId.size());

        Map<String, Topology> packages = topology(segments, present);
        StringBuilder out = new StringBuilder(text.length());
        for (Segment s : segments) {
            if (s.cpu >= 0 && !present.contains(s.cpu)) continue;
            for (int i = 0; i < s.lines.size(); i++) {
                String line = s.lines.get(i);
                if (s.cpu < 0) {
                    if (s390 && line.startsWith("# processors")) line = withValue(line, present.size());
                } else if (i == 0) {
                    line = renumber(line, newId.get(s.cpu));
                } else {
                    line = fixTopology(line, s, packages);
                }
                out.append(line).append('\n');
            }
        }
        if (!trailingNewline && !out.isEmpty()) out.setLength(out.length() - 1);
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static List<Segment> split(String[] lines, boolean s390) {
        List<Segment> segments = new ArrayList<>();
        List<String> global = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            Matcher summary = s390 ? S390_PROCESSOR.matcher(line) : null;
            if (summary != null && summary.matches()) {
                flush(segments, global);
                segments.add(new Segment(Integer.parseInt(summary.group(1)), List.of(line)));
                continue;
            }
            Matcher start = PROCESSOR.matcher(line);
            if (!start.matches() && s390) start = S390_CPU_NUMBER.matcher(line);
            if (!start.matches()) {
                global.add(line);
                continue;
            }
            flush(segments, global);
            List<String> block = new ArrayList<>();
            block.add(line);
            while (i + 1 < lines.length && !isBlockStart(lines[i + 1], s390)) {
                block.add(lines[++i]);
                if (lines[i].isBlank()) break;
            }
            segments.add(new Segment(Integer.parseInt(start.group(1)), block));
        }
        flush(segments, global);
        return segments;
    }

    private static boolean isBlockStart(String line, boolean s390) {
        return PROCESSOR.matcher(line).matches()
                || s390 && (S390_PROCESSOR.matcher(line).matches() || S390_CPU_NUMBER.matcher(line).matches());
    }

    private static void flush(List<Segment> segments, List<String> global) {
        if (global.isEmpty()) return;
        segments.add(new Segment(-1, List.copyOf(global)));
        global.clear();
    }

    /** "processor\t: 5" → "processor\t: 0"; s390 "processor 5: version = ..." → "processor 0: version = ...". */
    private static String renumber(String line, int id) {
        Matcher m = S390_PROCESSOR.matcher(line);
        if (!PROCESSOR.matcher(line).matches() && m.matches()) return "processor " + id + ":" + m.group(2);
        return withValue(line, id);
    }

    /** Keeps the key and its padding ("siblings\t:"), replaces the value. */
    private static String withValue(String line, long value) {
        return line.substring(0, line.indexOf(':') + 1) + " " + value;
    }

    private static String key(String line) {
        int colon = line.indexOf(':');
        return colon < 0 ? line.strip() : line.substring(0, colon).strip();
    }

    private static String value(String line) {
        int colon = line.indexOf(':');
        return colon < 0 ? "" : line.substring(colon + 1).strip();
    }

    /** Shown CPUs and distinct cores of one physical package. */
    private static final class Topology {
        int cpus;
        final Set<String> cores = new HashSet<>();
        boolean allHaveCoreId = true;
    }

    private static Map<String, Topology> topology(List<Segment> segments, Set<Integer> present) {
        Map<String, Topology> packages = new HashMap<>();
        for (Segment s : segments) {
            if (s.cpu < 0 || !present.contains(s.cpu) || s.lines.size() < 2) continue;
            String pkg = field(s, "physical id");
            if (pkg == null) continue;
            Topology t = packages.computeIfAbsent(pkg, k -> new Topology());
            t.cpus++;
            String core = field(s, "core id");
            if (core == null) t.allHaveCoreId = false;
            else t.cores.add(core);
        }
        return packages;
    }

    private static String field(Segment s, String key) {
        for (String l : s.lines) if (key(l).equals(key)) return value(l);
        return null;
    }

    private static String fixTopology(String line, Segment s, Map<String, Topology> packages) {
        String k = key(line);
        if (!k.equals("siblings") && !k.equals("cpu cores")) return line;
        String pkg = field(s, "physical id");
        Topology t = pkg == null ? null : packages.get(pkg);
        if (t == null) return line;
        if (k.equals("siblings")) return withValue(line, t.cpus);
        return t.allHaveCoreId ? withValue(line, t.cores.size()) : line;
    }
}
