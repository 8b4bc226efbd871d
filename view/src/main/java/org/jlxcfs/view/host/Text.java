package org.jlxcfs.view.host;

import java.util.Arrays;

/** Splitting kernel text without regular expressions (String.split("\\s+") compiles one per call). */
public final class Text {
    private Text() {}

    /** The whitespace-separated fields of {@code s}, as {@code s.trim().split("\\s+")} but none for a blank s. */
    public static String[] fields(String s) {
        String[] out = new String[8];
        int n = 0, i = 0, len = s.length();
        while (true) {
            while (i < len && isSpace(s.charAt(i))) i++;
            if (i == len) break;
            int start = i;
            while (i < len && !isSpace(s.charAt(i))) i++;
            if (n == out.length) out = Arrays.copyOf(out, n * 2);
            out[n++] = s.substring(start, i);
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0B;
    }
}
