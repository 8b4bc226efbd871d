package org.jlxcfs.webhook.admission;

import java.util.Locale;

/**
 * One configured file as the pod sees it.
 *
 * @param relativePath the entry, relative to the jlxcfs mount ({@code proc/meminfo})
 * @param directory    a directory entry: hostPath {@code type: Directory} instead of {@code File}
 * @param volumeName   the volume name it wants ({@code jlxcfs-proc-meminfo}); a pod may force another
 * @param hostPath     the file on the node ({@code /var/lib/jlxcfs/proc/meminfo})
 * @param mountPath    where containers see it ({@code /proc/meminfo})
 */
public record InjectedFile(String relativePath, boolean directory, String volumeName, String hostPath, String mountPath) {
    static final String VOLUME_PREFIX = "jlxcfs-";
    static final int MAX_NAME = 63;

    public String hostPathType() {
        return directory ? "Directory" : "File";
    }

    /** {@code jlxcfs-} and the path, every character that a volume name may not hold turned into {@code -}. */
    static String volumeNameOf(String relativePath) {
        StringBuilder name = new StringBuilder(VOLUME_PREFIX);
        for (char c : relativePath.toLowerCase(Locale.ROOT).toCharArray()) {
            name.append((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '-');
        }
        return name.toString();
    }

    /** An RFC 1123 label: what Kubernetes accepts as a volume name. */
    static boolean isDnsLabel(String name) {
        if (name.isEmpty() || name.length() > MAX_NAME) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            if (!alnum && !(c == '-' && i > 0 && i < name.length() - 1)) {
                return false;
            }
        }
        return true;
    }
}
