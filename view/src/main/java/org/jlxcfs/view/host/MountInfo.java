package org.jlxcfs.view.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One line of /proc/PID/mountinfo with the fields cgroup discovery needs.
 *
 * @param root         the path inside the filesystem that is mounted here ("/" for a whole cgroup
 *                     hierarchy; a cgroup path when mounted from inside a cgroup namespace)
 * @param superOptions per-superblock options; for a v1 cgroup mount they name its controllers
 */
public record MountInfo(String root, String mountPoint, String fsType, String source, Set<String> superOptions) {

    public static List<MountInfo> parse(List<String> lines) {
        List<MountInfo> mounts = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (f.length < 10 || dash < 6 || dash + 3 >= f.length) continue; // not a mountinfo line
            mounts.add(new MountInfo(unescape(f[3]), unescape(f[4]), f[dash + 1], unescape(f[dash + 2]),
                    options(f[dash + 3])));
        }
        return mounts;
    }

    /**
     * The comma-separated super options as a set. Set.copyOf, not Set.of: a kernel or a FUSE
     * server may repeat an option ("rw,...,rw"), and one odd line must not abort discovery.
     */
    static Set<String> options(String field) {
        return Set.copyOf(List.of(field.split(",")));
    }

    /** mountinfo writes space, tab, newline and backslash as \ooo. */
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
            if (s.charAt(i) < '0' || s.charAt(i) > '7') return false;
        }
        return true;
    }
}
