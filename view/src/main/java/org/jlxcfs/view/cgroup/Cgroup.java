package org.jlxcfs.view.cgroup;

import org.jlxcfs.view.host.SysFiles;
import org.jlxcfs.view.host.Text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One cgroup of one hierarchy, e.g. {@code /kubepods/pod1/ctr} in the memory hierarchy, and
 * the reading of its files. "Missing" (no such file, the cgroup is gone, or the value is empty)
 * is an empty Optional; other I/O errors are thrown with the file named.
 *
 * @param path the cgroup path as /proc/PID/cgroup shows it ("/" for the root)
 */
public record Cgroup(Hierarchy hierarchy, String path) {
    /** v1 spells "no limit" as the largest page-aligned long; v2 as "max". */
    public static final long V1_UNLIMITED = 9223372036854771712L;

    public boolean isRoot() {
        return path.equals("/") || path.isEmpty();
    }

    public Path directory() {
        String rel = path;
        String root = hierarchy.mountRoot();
        if (!root.equals("/") && (rel.equals(root) || rel.startsWith(root + "/"))) rel = rel.substring(root.length());
        int from = 0;
        while (from < rel.length() && rel.charAt(from) == '/') from++;
        rel = rel.substring(from);
        return rel.isEmpty() ? hierarchy.mountPoint() : hierarchy.mountPoint().resolve(rel);
    }

    /**
     * How long a new cgroup's limits are read afresh at every read: a runtime creates the cgroup,
     * sets up the container's mounts (whose lookups of our files already render them) and only
     * then writes the limits (runc does), so a limit kept from those first reads would be wrong
     * for the container's first second, when runtimes such as the JVM size themselves.
     */
    public static final long SETTLING_SECONDS = 5;

    /**
     * The cgroup is older than {@link #SETTLING_SECONDS} (cgroupfs gives a directory its creation
     * time as ctime, and writes to its files change neither). The root is always settled; a
     * cgroup that cannot be stat'ed is not.
     */
    public boolean settled() {
        if (isRoot()) return true;
        try {
            java.nio.file.attribute.FileTime ctime = (java.nio.file.attribute.FileTime) java.nio.file.Files.getAttribute(directory(), "unix:ctime");
            return System.currentTimeMillis() - ctime.toMillis() > SETTLING_SECONDS * 1000;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    public Optional<Cgroup> parent() {
        if (isRoot()) return Optional.empty();
        int slash = path.lastIndexOf('/');
        return Optional.of(new Cgroup(hierarchy, slash <= 0 ? "/" : path.substring(0, slash)));
    }

    /** The file's content without its trailing newline, or empty when missing or blank. */
    public Optional<String> read(String file) throws IOException {
        Path p = directory().resolve(file);
        try {
            String s = SysFiles.readString(p).strip();
            return s.isEmpty() ? Optional.empty() : Optional.of(s);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IOException("reading " + p + ": " + e.getMessage(), e);
        }
    }

    public boolean exists(String file) throws IOException {
        return SysFiles.exists(directory().resolve(file));
    }

    /**
     * A file holding one number. "max" and v1's unlimited value give empty (no limit), as does a
     * missing file; anything unparsable is an error naming the file.
     */
    public OptionalLong readLimit(String file) throws IOException {
        Optional<String> s = read(file);
        if (s.isEmpty() || s.get().equals("max")) return OptionalLong.empty();
        long v = parse(file, s.get());
        return v >= V1_UNLIMITED || v < 0 ? OptionalLong.empty() : OptionalLong.of(v);
    }

    /** A file holding one counter (usage, current...). */
    public OptionalLong readCounter(String file) throws IOException {
        Optional<String> s = read(file);
        return s.isEmpty() ? OptionalLong.empty() : OptionalLong.of(parse(file, s.get()));
    }

    /** "key value" lines, as in memory.stat and cpu.stat; unparsable lines are skipped. */
    public Map<String, Long> readKeyValues(String file) throws IOException {
        Map<String, Long> values = new HashMap<>();
        Optional<String> s = read(file);
        if (s.isEmpty()) return values;
        for (String line : s.get().split("\n")) {
            int sp = line.indexOf(' ');
            if (sp <= 0) continue;
            try {
                values.put(line.substring(0, sp), Long.parseLong(line.substring(sp + 1).trim()));
            } catch (NumberFormatException ignored) {
                // a key whose value is not a plain number (none we use)
            }
        }
        return values;
    }

    private long parse(String file, String value) throws IOException {
        try {
            return Long.parseLong(Text.fields(value)[0]);
        } catch (NumberFormatException e) {
            throw new IOException(directory().resolve(file) + " holds '" + value + "', not a number");
        }
    }

    @Override
    public String toString() {
        return (hierarchy.v2() ? "cgroup2" : String.join(",", hierarchy.controllers())) + ":" + path;
    }
}
