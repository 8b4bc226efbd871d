package org.jlxcfs.view.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** What the views read about one process from /proc (at the host's configurable root). */
public final class ProcessInfo {
    private ProcessInfo() {}

    /** The process (or thread) does not exist (any more). */
    public static final class GoneException extends IOException {
        public GoneException(int pid) {
            super("process " + pid + " does not exist (any more)", null);
        }
    }

    /** The inode of the process's pid namespace, from the /proc/PID/ns/pid link ("pid:[4026531836]"). */
    public static long pidNamespace(Host host, int pid) throws IOException {
        Path link = host.proc().resolve(pid + "/ns/pid");
        try {
            String target = SysFiles.readLink(link);
            int open = target.indexOf('['), close = target.indexOf(']');
            if (open < 0 || close < open) throw new IOException(link + " points to '" + target + "', not pid:[inode]");
            return Long.parseLong(target.substring(open + 1, close));
        } catch (NoSuchFileException e) {
            throw new GoneException(pid);
        }
    }

    /** Start time in clock ticks since boot: field 22 of /proc/PID/stat. */
    public static long startTime(Host host, int pid) throws IOException {
        String[] f = statFields(host, pid);
        return Long.parseLong(f[19]);
    }

    /**
     * The fields of /proc/PID/stat after the command name, so index 0 is field 3 (state). The
     * name is in parentheses and may itself hold spaces and parentheses: cut at the last ')'.
     */
    public static String[] statFields(Host host, int pid) throws IOException {
        return statFields(host, pid, read(host, pid + "/stat", pid));
    }

    /**
     * As {@link #statFields(Host, int)}, read now rather than shared ({@link SysFiles#readStringNow}):
     * for whoever decides on a process's life (signal it, wait for it), where a reading a few
     * milliseconds old may describe a process that has exited since.
     */
    public static String[] statFieldsNow(Host host, int pid) throws IOException {
        Path file = host.proc().resolve(pid + "/stat");
        try {
            return statFields(host, pid, SysFiles.readStringNow(file));
        } catch (NoSuchFileException e) {
            throw new GoneException(pid);
        }
    }

    private static String[] statFields(Host host, int pid, String stat) throws IOException {
        int close = stat.lastIndexOf(')');
        if (close < 0) throw new IOException(host.proc().resolve(pid + "/stat") + " is malformed");
        return stat.substring(close + 2).trim().split(" ");
    }

    /** Parent pid (PPid: of /proc/PID/status). */
    public static int parent(Host host, int pid) throws IOException {
        return Integer.parseInt(statusField(host, pid, "PPid:").trim());
    }

    /** The pid in the process's own (innermost) pid namespace: last value of NSpid:. */
    public static int innermostPid(Host host, int pid) throws IOException {
        String[] ids = Text.fields(statusField(host, pid, "NSpid:"));
        if (ids.length == 0) throw new IOException(host.proc().resolve(pid + "/status") + " has an empty NSpid: line");
        return Integer.parseInt(ids[ids.length - 1]);
    }

    public static List<String> cgroupLines(Host host, int pid) throws IOException {
        return List.of(read(host, pid + "/cgroup", pid).split("\n"));
    }

    private static String statusField(Host host, int pid, String key) throws IOException {
        for (String line : read(host, pid + "/status", pid).split("\n")) {
            if (line.startsWith(key)) return line.substring(key.length());
        }
        throw new IOException(host.proc().resolve(pid + "/status") + " has no " + key + " line");
    }

    private static String read(Host host, String name, int pid) throws IOException {
        try {
            return SysFiles.readString(host.proc().resolve(name));
        } catch (NoSuchFileException e) {
            throw new GoneException(pid);
        } catch (IOException e) {
            // ESRCH from a process exiting while we read it
            if (!Files.exists(host.proc().resolve(String.valueOf(pid)))) throw new GoneException(pid);
            throw e;
        }
    }
}
