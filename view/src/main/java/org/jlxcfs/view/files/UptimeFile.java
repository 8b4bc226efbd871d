package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.host.Host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code /proc/uptime}: seconds since the container's init started, and the idle seconds of the
 * container's CPUs, both {@code %lu.%02lu} as the kernel prints them.
 *
 * <p>uptime = host uptime − init's start time (field 22 of /proc/INIT/stat). idle = the idle
 * column total of the container's /proc/stat divided by USER_HZ, from the same {@link CpuTimes}
 * (the daemon gives both files one), as the kernel's two files agree on the host: capacity ×
 * uptime − busy with CPU accounting (capacity: the CPU quota in CPUs, at most the CPUs shown; the
 * CPUs shown without quota), never below 0 and never lower than shown before; without accounting
 * the host's idle of the CPUs shown. LXCFS uses single-CPU semantics (uptime − busy), reads busy
 * only on v1 and shows uptime when busy exceeds it; its idle can go backwards.
 *
 * <p>Fallbacks: readers in the host's pid namespace (init = host pid 1) → the host file. Init's
 * start time unreadable (it just exited) → the host file (LXCFS prints a garbage negative number).
 */
public final class UptimeFile implements VirtualFile {
    private final Host host;
    private final CpuTimes times;

    /** With a {@link CpuTimes} of its own (tests; the daemon shares one with {@link StatFile}). */
    public UptimeFile(Host host, ViewOptions options) {
        this(host, new CpuTimes(host, options));
    }

    public UptimeFile(Host host, CpuTimes times) {
        this.host = host;
        this.times = times;
    }

    @Override
    public String path() {
        return "proc/uptime";
    }

    @Override
    public byte[] render(Container container) throws IOException {
        byte[] hostFile = host.procFile("uptime");
        if (container.initPid() <= 1) return hostFile;
        long start;
        try {
            start = container.initStart(host);
        } catch (IOException | RuntimeException e) {
            return hostFile;
        }
        String text = new String(hostFile, StandardCharsets.US_ASCII);
        int space = text.indexOf(' ');
        long hostUptime;
        try {
            hostUptime = Math.round(Double.parseDouble(space < 0 ? text.strip() : text.substring(0, space)) * Host.CLOCK_TICKS);
        } catch (RuntimeException e) {
            throw new IOException("host " + host.proc().resolve("uptime") + " is malformed: '" + text.strip() + "'");
        }
        long uptime = Math.max(0, hostUptime - Math.max(0, start));
        long idle = times.idleTicks(container);
        return (ticks(uptime) + " " + ticks(idle) + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static String ticks(long t) {
        long hundredths = t * 100 / Host.CLOCK_TICKS;
        long frac = hundredths % 100;
        return hundredths / 100 + (frac < 10 ? ".0" : ".") + frac;
    }
}
