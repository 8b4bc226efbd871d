package org.jlxcfs.daemon.keeper;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The keeper's wire format: one SOCK_SEQPACKET message per request and per answer, UTF-8 text,
 * a versioned first line ("jlxcfs-keeper/1 VERB") and "key=value" lines, file descriptors as
 * SCM_RIGHTS. Versioned so a newer daemon can talk to an older keeper and the other way round:
 * unknown keys are ignored, an unknown version is refused with a reason.
 */
public final class KeeperProtocol {
    private KeeperProtocol() {}

    public static final String MAGIC = "jlxcfs-keeper";
    public static final int VERSION = 1;
    static final Set<String> VERBS = Set.of("PUT", "GET", "DROP", "LIST", "PING", "HOLD", "FREE", "KEPT", "OK", "NONE", "ERR");

    /** A decoded message. */
    public record Message(String verb, Map<String, String> fields) {
        public String field(String key) throws ProtocolException {
            String v = fields.get(key);
            if (v == null || v.isEmpty()) throw new ProtocolException(verb + " without " + key + "=");
            return v;
        }
    }

    /** A message that does not follow the protocol; the text says what is wrong. */
    public static final class ProtocolException extends Exception {
        public ProtocolException(String message) {
            super(message);
        }
    }

    public static byte[] encode(String verb, Map<String, String> fields) {
        StringBuilder sb = new StringBuilder(MAGIC).append('/').append(VERSION).append(' ').append(verb).append('\n');
        fields.forEach((k, v) -> {
            if (k.contains("=") || k.contains("\n") || v.contains("\n")) {
                throw new IllegalArgumentException("keeper field " + k + " cannot be encoded");
            }
            sb.append(k).append('=').append(v).append('\n');
        });
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static Message decode(byte[] data) throws ProtocolException {
        String text = new String(data, StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        String[] head = lines[0].split(" ", 2);
        if (head.length != 2 || !head[0].startsWith(MAGIC + "/")) {
            throw new ProtocolException("not a keeper message (first line '" + abbreviate(lines[0]) + "')");
        }
        int version;
        try {
            version = Integer.parseInt(head[0].substring(MAGIC.length() + 1));
        } catch (NumberFormatException e) {
            throw new ProtocolException("bad keeper protocol version in '" + abbreviate(lines[0]) + "'");
        }
        if (version < 1 || version > VERSION) {
            throw new ProtocolException("keeper protocol version " + version + " is not spoken here (1.." + VERSION + ")");
        }
        String verb = head[1].strip();
        if (!VERBS.contains(verb)) throw new ProtocolException("unknown keeper verb '" + abbreviate(verb) + "'");
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isEmpty()) continue;
            int eq = lines[i].indexOf('=');
            if (eq <= 0) throw new ProtocolException("malformed keeper line '" + abbreviate(lines[i]) + "'");
            fields.put(lines[i].substring(0, eq), lines[i].substring(eq + 1));
        }
        return new Message(verb, fields);
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
