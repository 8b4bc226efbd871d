package org.jlxcfs.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The mounts of a mount namespace, from /proc/self/mountinfo (or another process's mountinfo). */
public final class MountTable {
    private MountTable() {}

    /**
     * One mountinfo line: the mount id, its device ("0:42", shared by bind mounts of it), the path
     * inside that filesystem it shows ("/" or, for a bind of one file, "/proc/meminfo"), where it
     * is, its type ("fuse.jlxcfs") and source.
     */
    public record Mount(int id, int parentId, String device, String root, String mountPoint, String fsType,
                        String source) {}

    public static List<Mount> read() throws IOException {
        return read(Path.of("/proc/self/mountinfo"));
    }

    /** The mounts a mountinfo file lists, e.g. /proc/PID/mountinfo for a container's namespace. */
    public static List<Mount> read(Path mountinfo) throws IOException {
        return parse(Files.readAllLines(mountinfo));
    }

    public static List<Mount> parse(List<String> lines) {
        List<Mount> mounts = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (f.length < 10 || dash < 6 || dash + 2 >= f.length) continue; // not a mountinfo line
            try {
                mounts.add(new Mount(Integer.parseInt(f[0]), Integer.parseInt(f[1]), f[2], unescape(f[3]), unescape(f[4]),
                        unescape(f[dash + 1]), unescape(f[dash + 2])));
            } catch (NumberFormatException e) {
                // skip the malformed line; the rest of the table is still right
            }
        }
        return mounts;
    }

    /** The topmost mount whose mount point is exactly {@code path}, if any. */
    public static Optional<Mount> at(Path path) throws IOException {
        String p = path.toAbsolutePath().normalize().toString();
        Mount top = null;
        for (Mount m : read()) {
            if (m.mountPoint().equals(p)) top = m; // later lines are mounted on top of earlier ones
        }
        return Optional.ofNullable(top);
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) return false;
        for (int i = from; i < from + 3; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '7') return false;
        }
        return true;
    }
}
