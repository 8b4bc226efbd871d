package org.jlxcfs.view.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The host's own /proc and /sys, at configurable roots so tests can use fixture trees.
 *
 * @param proc the host's /proc (as the daemon sees it: host pid namespace)
 * @param sys  the host's /sys
 */
public record Host(Path proc, Path sys) {
    /** USER_HZ: /proc/stat and /proc/PID/stat count in these; 100 on every Linux ABI we run on. */
    public static final int CLOCK_TICKS = 100;

    public static Host real() {
        return new Host(Path.of("/proc"), Path.of("/sys"));
    }

    public byte[] procFile(String name) throws IOException {
        return SysFiles.readBytes(proc.resolve(name));
    }

    public String procText(String name) throws IOException {
        return new String(procFile(name), StandardCharsets.UTF_8);
    }

    public List<String> procLines(String name) throws IOException {
        return SysFiles.readString(proc.resolve(name)).lines().toList();
    }

    public byte[] sysFile(String name) throws IOException {
        return SysFiles.readBytes(sys.resolve(name));
    }

    /** Seconds since boot from the host's /proc/uptime (first field). */
    public double uptimeSeconds() throws IOException {
        String s = procText("uptime");
        return Double.parseDouble(s.substring(0, s.indexOf(' ')));
    }
}
