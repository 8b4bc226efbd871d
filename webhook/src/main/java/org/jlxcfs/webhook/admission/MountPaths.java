package org.jlxcfs.webhook.admission;

import java.util.ArrayDeque;
import java.util.Deque;

/** Paths compared as the kernel would see them: {@code //}, {@code .}, {@code ..} and a trailing slash do not matter. */
final class MountPaths {
    private MountPaths() {}

    /** The lexical normal form: absolute, single slashes, no {@code .} or {@code ..}, no trailing slash. */
    static String normalise(String path) {
        if (isNormal(path)) {
            return path;
        }
        Deque<String> segments = new ArrayDeque<>();
        for (String segment : path.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                segments.pollLast(); // ".." at the root stays at the root
            } else {
                segments.addLast(segment);
            }
        }
        if (segments.isEmpty()) {
            return "/";
        }
        StringBuilder normal = new StringBuilder(path.length());
        for (String segment : segments) {
            normal.append('/').append(segment);
        }
        return normal.toString();
    }

    /** Whether {@code parent} is a directory above {@code path} (both normal), the root excepted. */
    static boolean isProperParent(String parent, String path) {
        return !parent.equals("/") && path.length() > parent.length() + 1
                && path.startsWith(parent) && path.charAt(parent.length()) == '/';
    }

    private static boolean isNormal(String path) {
        if (path.length() < 2 || path.charAt(0) != '/' || path.charAt(path.length() - 1) == '/') {
            return path.equals("/");
        }
        return !path.contains("//") && !path.contains("/./") && !path.contains("/../")
                && !path.endsWith("/.") && !path.endsWith("/..");
    }
}
