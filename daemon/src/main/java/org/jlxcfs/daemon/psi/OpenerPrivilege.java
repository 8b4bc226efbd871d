package org.jlxcfs.daemon.psi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the process opening a pressure file may have a privileged trigger (any window, served
 * by the kernel's real-time psimon thread). The kernel asks whether the opener's credentials hold
 * CAP_SYS_RESOURCE; here the daemon opens the kernel's file as root, so it asks for the opener,
 * and more strictly: CAP_SYS_RESOURCE in the <em>initial</em> user namespace, so root in a user
 * namespace (a rootless or userns container) stays unprivileged. Anything unreadable: unprivileged.
 */
final class OpenerPrivilege {
    static final int CAP_SYS_RESOURCE = 24;

    private OpenerPrivilege() {}

    /** pid 1's; where that is hidden from us (a restricted root), our own, as the daemon runs in the host's. */
    private static Path initialUserNamespace(Path proc) throws IOException {
        try {
            return Files.readSymbolicLink(proc.resolve("1/ns/user"));
        } catch (IOException e) {
            return Files.readSymbolicLink(proc.resolve("self/ns/user"));
        }
    }

    static boolean of(Path proc, int pid) {
        try {
            Path own = Files.readSymbolicLink(proc.resolve(pid + "/ns/user"));
            if (!own.equals(initialUserNamespace(proc))) return false;
            for (String line : Files.readAllLines(proc.resolve(pid + "/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return (caps & (1L << CAP_SYS_RESOURCE)) != 0;
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
