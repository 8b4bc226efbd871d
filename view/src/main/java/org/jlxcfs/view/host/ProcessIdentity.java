package org.jlxcfs.view.host;

import java.io.IOException;

/**
 * A process as opposed to a pid: the pid and its start time (clock ticks since boot, field 22 of
 * /proc/PID/stat). Pids are recycled, often within seconds on a busy host, and a container can
 * make that happen at will; a pid with another start time is another process.
 */
public record ProcessIdentity(int pid, long startTime) {
    /** @throws ProcessInfo.GoneException when the process no longer exists */
    public static ProcessIdentity of(Host host, int pid) throws IOException {
        try {
            return new ProcessIdentity(pid, ProcessInfo.startTime(host, pid));
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            throw new IOException(host.proc().resolve(pid + "/stat") + " has no start time");
        }
    }
}
