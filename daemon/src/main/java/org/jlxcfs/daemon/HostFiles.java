package org.jlxcfs.daemon;

import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.FuseError;
import org.jlxcfs.fuse.tree.Content;
import org.jlxcfs.fuse.tree.VirtualTree;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * LXCFS's layout, each file serving the host's own file of the same path. This is the tree
 * until the per-container views replace it; the paths are the ones bind-mount recipes use.
 */
final class HostFiles {
    private HostFiles() {}

    static final List<String> LXCFS_PATHS = List.of(
            "proc/meminfo", "proc/cpuinfo", "proc/stat", "proc/uptime", "proc/loadavg", "proc/diskstats",
            "proc/swaps", "proc/slabinfo", "proc/pressure/cpu", "proc/pressure/memory", "proc/pressure/io",
            "sys/devices/system/cpu/online", "sys/devices/system/cpu/possible", "sys/devices/system/cpu/present",
            "sys/devices/system/cpu/offline");

    /** The tree for {@code hostRoot} ("/" in production): files the host lacks are left out. */
    static VirtualTree tree(Path hostRoot) {
        VirtualTree.Builder b = VirtualTree.builder().dir("proc").dir("sys/devices/system/cpu");
        for (String p : LXCFS_PATHS) {
            Path host = hostRoot.resolve(p);
            if (Files.isReadable(host)) b.file(p, Content.rendered(caller -> read(host)));
        }
        return b.build();
    }

    private static byte[] read(Path host) throws FuseError {
        try {
            return Files.readAllBytes(host);
        } catch (IOException e) {
            throw FuseError.of(Errno.EIO, "reading " + host + ": " + e.getMessage());
        }
    }
}
