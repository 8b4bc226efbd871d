package org.jlxcfs.webhook.manifests;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/**
 * A syntax sanity check for CEL expressions in the manifests (no CEL implementation is on the test
 * class path): brackets balance outside string literals, and string literals close.
 */
final class Cel {
    private Cel() {}

    private static final Map<Character, Character> CLOSING = Map.of(')', '(', ']', '[', '}', '{');

    /** Empty when the expression's brackets and quotes balance, else what is wrong. */
    static String unbalanced(String expression) {
        Deque<Character> open = new ArrayDeque<>();
        Character quote = null;
        for (int i = 0; i < expression.length(); i++) {
            char c = expression.charAt(i);
            if (quote != null) {
                if (c == '\\') i++;
                else if (c == quote) quote = null;
                continue;
            }
            switch (c) {
                case '\'', '"' -> quote = c;
                case '(', '[', '{' -> open.push(c);
                case ')', ']', '}' -> {
                    if (open.isEmpty() || open.pop() != CLOSING.get(c)) return "unexpected " + c + " at " + i;
                }
                default -> { }
            }
        }
        if (quote != null) return "unclosed string literal";
        return open.isEmpty() ? "" : "unclosed " + open.peek();
    }
}
