package org.jlxcfs.webhook.admission;

import java.util.ArrayList;
import java.util.List;

/**
 * The response's warnings: few and short, since clients print them (kubectl shows each one) and the API server
 * bounds them. Text that came from the request is cut and stripped of control characters.
 */
final class Warnings {
    static final int MAX_COUNT = 10;
    static final int MAX_LENGTH = 120;
    private static final String PREFIX = "jlxcfs: ";

    private final List<String> warnings = new ArrayList<>(2);
    private int dropped;

    void add(String text) {
        if (warnings.size() >= MAX_COUNT - 1) {
            dropped++;
            return;
        }
        warnings.add(clean(PREFIX + text, MAX_LENGTH));
    }

    List<String> list() {
        if (dropped == 0) {
            return warnings;
        }
        List<String> all = new ArrayList<>(warnings);
        all.add(PREFIX + dropped + " more warning" + (dropped == 1 ? "" : "s") + " (see the jlxcfs.io/status annotation)");
        return all;
    }

    /** {@code text} printable and at most {@code max} characters long. */
    static String clean(String text, int max) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), max));
        for (int i = 0; i < text.length() && out.length() < max; i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
        }
        if (text.length() > max) {
            out.setLength(max - 3);
            out.append("...");
        }
        return out.toString();
    }
}
