package org.jlxcfs.daemon.psi;

import java.io.IOException;
import java.util.Map;

/**
 * Where trigger fds (and the {@link PsiTable}) are kept with the FUSE connection, so the next
 * daemon gets them: the keeper or systemd's fd store. Names are {@code psi-<fh hex>} and
 * {@link #TABLE}.
 */
public interface TriggerStore {
    String TABLE = "psi-table", PREFIX = "psi-";

    /** Keeps a copy of {@code fd} under {@code name}, replacing one of that name; IOException when refused. */
    void hold(String name, int fd) throws IOException;

    /** Closes the copy kept under {@code name} (none: nothing happens). */
    void free(String name) throws IOException;

    /** Copies of everything kept, by name (ours to close). */
    Map<String, Integer> held() throws IOException;

    /** Nothing is kept (--no-keeper): triggers end with the process. */
    TriggerStore NONE = new TriggerStore() {
        @Override
        public void hold(String name, int fd) throws IOException {
            throw new IOException("no keeper (--no-keeper)");
        }

        @Override
        public void free(String name) {
        }

        @Override
        public Map<String, Integer> held() {
            return Map.of();
        }
    };

    static String name(long fh) {
        return PREFIX + Long.toHexString(fh);
    }

    /** The handle a {@code psi-<fh hex>} name stands for, or 0 for any other name. */
    static long fhOf(String name) {
        if (!name.startsWith(PREFIX) || name.equals(TABLE)) return 0;
        try {
            return Long.parseUnsignedLong(name.substring(PREFIX.length()), 16);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
