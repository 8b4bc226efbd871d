package org.jlxcfs.fuse.tree;

import org.jlxcfs.fuse.Attr;
import org.jlxcfs.fuse.Caller;
import org.jlxcfs.fuse.DirectoryListing;
import org.jlxcfs.fuse.Entry;
import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.FuseError;
import org.jlxcfs.fuse.FuseFileSystem;
import org.jlxcfs.fuse.Libc;
import org.jlxcfs.fuse.Opened;

import java.io.EOFException;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A read-only tree of directories and files fixed at build time, served as a {@link FuseFileSystem}.
 *
 * <p>Node ids are a hash of the path, so they are the same in every process and every build
 * that has the path: a successor daemon (even a newer build with more files) understands every
 * node id the kernel holds. File handles of rendered files carry a random per-process epoch in
 * their high half; a handle from another process is simply unknown, and its content is rendered
 * afresh, which is what a read at offset 0 would have done anyway.
 *
 * <p>A directory can mirror a host directory ({@link Builder#mirror}), with the children each
 * caller is shown chosen per request.
 */
public final class VirtualTree implements FuseFileSystem {
    private final NodeTable<Node> nodes;
    private final long epoch = randomEpoch();
    private final AtomicInteger nextHandle = new AtomicInteger();
    /**
     * Per-open renderings, so reads at an offset continue the rendering made at offset 0; bounded,
     * since every reader (a hostile one too) decides how many handles it holds.
     */
    private final RenderingCache<Long> handles;
    static final long DEFAULT_HANDLE_BUDGET = 4L << 20;

    private sealed interface Node permits Dir, File, Link {
        long id();
        Entry entry();
    }

    private record Child(String name, byte[] utf8, Node node) {}

    /** {@code filter} is null unless the directory is a mirror whose children depend on the caller. */
    private record Dir(long id, long parent, List<Child> children, Map<String, Node> byName, ChildFilter filter,
                       Entry entry) implements Node {}

    private record File(long id, Content content, Entry entry) implements Node {}

    /** A symbolic link of a mirrored host directory; its target is read from the host at each READLINK. */
    private record Link(long id, HostEntry host, Entry entry) implements Node {}

    /** Whether any file answers POLL itself (else POLL is answered ENOSYS). */
    private final boolean pollable;

    private VirtualTree(Map<Long, Node> nodes, long handleBudget) {
        this.nodes = new NodeTable<>(nodes);
        this.pollable = nodes.values().stream().anyMatch(n -> n instanceof File f && f.content() instanceof Content.Pollable);
        this.handles = new RenderingCache<>(handleBudget);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The node id of {@code path} ("" or "/" is the root). */
    public static long nodeId(String path) {
        String p = normalize(path);
        if (p.isEmpty()) return ROOT_ID;
        long h = 0xcbf29ce484222325L; // FNV-1a, 64 bit
        for (byte b : p.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h &= Long.MAX_VALUE;
        return h <= ROOT_ID ? h + 2 : h;
    }

    private static String normalize(String path) {
        String p = path;
        while (p.startsWith("/")) p = p.substring(1);
        while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
        return p;
    }

    /** Collects paths, then builds the tree with fixed node ids. */
    public static final class Builder {
        private final TreeMap<String, Content> files = new TreeMap<>();
        private final Map<String, Integer> modes = new HashMap<>();
        private long handleBudget = DEFAULT_HANDLE_BUDGET;
        private final TreeMap<String, Boolean> dirs = new TreeMap<>();
        private final TreeMap<String, Mirror> mirrors = new TreeMap<>();
        private Duration ttl = Duration.ofSeconds(1);

        private record Mirror(Path host, ChildFilter filter) {}

        private Builder() {
            dirs.put("", true);
        }

        /** Adds a directory and its parents. */
        public Builder dir(String path) {
            String p = normalize(path);
            while (!p.isEmpty()) {
                if (files.containsKey(p)) throw new IllegalArgumentException(p + " is already a file");
                dirs.put(p, true);
                int slash = p.lastIndexOf('/');
                p = slash < 0 ? "" : p.substring(0, slash);
            }
            return this;
        }

        /** Adds a file readable by everyone (0444), and its parent directories. */
        public Builder file(String path, Content content) {
            return file(path, 0444, content);
        }

        /**
         * Adds a file owned by root with permission bits {@code mode} (write bits are dropped: the
         * tree is read-only), and its parent directories. The mode is enforced on open and access.
         */
        public Builder file(String path, int mode, Content content) {
            String p = normalize(path);
            if (p.isEmpty() || dirs.containsKey(p)) throw new IllegalArgumentException(path + " is a directory");
            int slash = p.lastIndexOf('/');
            if (slash > 0) dir(p.substring(0, slash));
            files.put(p, content);
            // only a file that takes writes (a PSI trigger file) keeps its write bits
            modes.put(p, mode & (content instanceof Content.Pollable ? 0777 : 0555));
            return this;
        }

        /**
         * How many bytes of renderings open handles may keep in all (default 4 MiB): past it the
         * least recently read are dropped and rendered again if read at an offset.
         */
        public Builder handleBudget(long bytes) {
            if (bytes < RenderingCache.ENTRY_COST) throw new IllegalArgumentException("handle budget " + bytes + " is too small");
            this.handleBudget = bytes;
            return this;
        }

        /**
         * Serves {@code path} like the host's {@code hostDirectory}, read-only, with the direct
         * children of {@code path} each caller is shown decided by {@code filter} (null: all).
         *
         * <p>The host directory is walked once, at {@link #build}, so every mirrored entry has its
         * node id fixed like any other path and a successor process knows every id the kernel may
         * hold. The walk follows no symlinks, goes at most {@code MIRROR_DEPTH} (6) levels down and
         * skips what it cannot read (an unreadable host directory gives an empty one). Regular
         * files keep the host's mode without write bits and are read from the host at each read
         * from offset 0, like {@link Content.Rendered}; directories are 0555; symlinks (sysfs's
         * cpuN/subsystem, cpuN/node0, cpuN/cpufreq) are links whose target is the host link's,
         * read at each READLINK. Devices, fifos and sockets are left out.
         *
         * <p>What is under a direct child is read from the host entry {@link ChildFilter#hostName}
         * names for the caller, so a container's cpu0 can be the host's cpu5.
         *
         * <p>{@link #file} and {@link #dir} at paths inside the mirror override the host entry of
         * the same name (a file replaces a host directory with everything in it). Mirrors may not
         * overlap.
         */
        public Builder mirror(String path, Path hostDirectory, ChildFilter filter) {
            String p = normalize(path);
            Objects.requireNonNull(hostDirectory, "hostDirectory");
            for (String m : mirrors.keySet()) {
                if (within(p, m) || within(m, p)) throw new IllegalArgumentException(path + " overlaps the mirror at /" + m);
            }
            dir(p);
            mirrors.put(p, new Mirror(hostDirectory, filter));
            return this;
        }

        /**
         * How long the kernel may cache names and attributes (everything here is fixed, except
         * what a mirror's filter decides, which is never cached).
         */
        public Builder cacheFor(Duration ttl) {
            this.ttl = ttl;
            return this;
        }

        public VirtualTree build() {
            long ttlNanos = ttl.toNanos();
            long now = Instant.now().getEpochSecond();
            TreeMap<String, Content> allFiles = new TreeMap<>(files);
            TreeMap<String, Boolean> allDirs = new TreeMap<>(dirs);
            TreeMap<String, HostLink> allLinks = new TreeMap<>();
            Map<String, ChildFilter> filters = new HashMap<>();
            for (Map.Entry<String, Mirror> m : mirrors.entrySet()) {
                walk(m.getKey(), m.getValue(), allFiles, allDirs, allLinks);
                if (m.getValue().filter() != null) filters.put(m.getKey(), m.getValue().filter());
            }
            Map<Long, Node> nodes = new HashMap<>();
            Map<Long, String> paths = new HashMap<>();
            Map<String, List<String>> childrenOf = new TreeMap<>();
            for (String p : allDirs.keySet()) if (!p.isEmpty()) childrenOf.computeIfAbsent(parentOf(p), k -> new ArrayList<>()).add(p);
            for (String p : allFiles.keySet()) childrenOf.computeIfAbsent(parentOf(p), k -> new ArrayList<>()).add(p);
            for (String p : allLinks.keySet()) childrenOf.computeIfAbsent(parentOf(p), k -> new ArrayList<>()).add(p);
            for (Map.Entry<String, Content> f : allFiles.entrySet()) {
                long id = claim(paths, f.getKey());
                long size = f.getValue() instanceof Content.Fixed(byte[] bytes) ? bytes.length : 0;
                int mode = f.getValue() instanceof HostFile h ? h.mode() : modes.getOrDefault(f.getKey(), 0444);
                // The kernel shares cached names and attributes among all callers, so whatever a
                // filter may hide from some of them must be asked again each time.
                long t = filters.containsKey(parentOf(f.getKey())) ? 0 : ttlNanos;
                // A rendered file's size is the caller's rendering, so its attributes are never cached.
                long attrTtl = f.getValue() instanceof Content.Fixed ? t : 0;
                nodes.put(id, new File(id, f.getValue(), new Entry(new Attr(id, size, Attr.S_IFREG | mode, 1, 0, 0, now), t, attrTtl)));
            }
            for (Map.Entry<String, HostLink> l : allLinks.entrySet()) {
                long id = claim(paths, l.getKey());
                long t = filters.containsKey(parentOf(l.getKey())) ? 0 : ttlNanos;
                nodes.put(id, new Link(id, l.getValue().at(), new Entry(new Attr(id, l.getValue().size(), Attr.S_IFLNK | 0777, 1, 0, 0, now), t, t)));
            }
            // Directories deepest first, so each one's children exist when it is built.
            List<String> dirList = new ArrayList<>(allDirs.keySet());
            dirList.sort((a, b) -> Integer.compare(depth(b), depth(a)));
            for (String d : dirList) {
                long id = claim(paths, d);
                List<Child> children = new ArrayList<>();
                Map<String, Node> byName = new HashMap<>();
                int subdirs = 0;
                for (String c : childrenOf.getOrDefault(d, List.of())) {
                    Node n = nodes.get(nodeId(c));
                    String name = c.substring(c.lastIndexOf('/') + 1);
                    children.add(new Child(name, name.getBytes(StandardCharsets.UTF_8), n));
                    byName.put(name, n);
                    if (n instanceof Dir) subdirs++;
                }
                long parent = d.isEmpty() ? ROOT_ID : nodeId(parentOf(d));
                ChildFilter filter = filters.get(d);
                long entryTtl = !d.isEmpty() && filters.containsKey(parentOf(d)) ? 0 : ttlNanos;
                // A filtered directory's link count is per caller (see entryFor).
                long attrTtl = filter != null ? 0 : entryTtl;
                nodes.put(id, new Dir(id, parent, List.copyOf(children), Map.copyOf(byName), filter,
                        new Entry(new Attr(id, 0, Attr.S_IFDIR | 0555, 2 + subdirs, 0, 0, now), entryTtl, attrTtl)));
            }
            return new VirtualTree(nodes, handleBudget);
        }

        /**
         * Adds what is under {@code host} to {@code allFiles} and {@code allDirs} at {@code path},
         * except where {@link #file} or {@link #dir} put something of the same path.
         */
        private void walk(String path, Mirror mirror, TreeMap<String, Content> allFiles, TreeMap<String, Boolean> allDirs,
                          TreeMap<String, HostLink> allLinks) {
            Path host = mirror.host();
            try {
                // no FOLLOW_LINKS: symlinks arrive at visitFile as links
                Files.walkFileTree(host, EnumSet.noneOf(FileVisitOption.class), MIRROR_DEPTH, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                        String p = treePath(path, host, dir);
                        if (files.containsKey(p)) return FileVisitResult.SKIP_SUBTREE;
                        allDirs.put(p, true);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                        // directories show up here only at the depth limit, where they are left out
                        if (!attrs.isRegularFile() && !attrs.isSymbolicLink()) return FileVisitResult.CONTINUE;
                        String p = treePath(path, host, file);
                        if (files.containsKey(p) || dirs.containsKey(p)) return FileVisitResult.CONTINUE;
                        HostEntry at = new HostEntry(host, host.relativize(file).toString(), mirror.filter());
                        try {
                            if (attrs.isSymbolicLink()) {
                                byte[] target = Files.readSymbolicLink(file).toString().getBytes(StandardCharsets.UTF_8);
                                allLinks.put(p, new HostLink(at, target.length));
                                return FileVisitResult.CONTINUE;
                            }
                            int mode = 0;
                            for (PosixFilePermission perm : Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS)) {
                                mode |= 0400 >> perm.ordinal(); // OWNER_READ, OWNER_WRITE, ... OTHERS_EXECUTE
                            }
                            allFiles.put(p, new HostFile(at, mode & 0555));
                        } catch (IOException | UnsupportedOperationException _) {
                            // gone or unreadable since it was listed: left out like any unreadable entry
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                        return FileVisitResult.CONTINUE; // a listing that failed half way keeps what it gave
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e); // not reached: the visitor never fails
            }
        }

        private static String treePath(String mirror, Path host, Path entry) {
            String rel = host.relativize(entry).toString();
            return rel.isEmpty() ? mirror : mirror.isEmpty() ? rel : mirror + "/" + rel;
        }

        /** {@code p} is {@code dir} or inside it. */
        private static boolean within(String p, String dir) {
            return dir.isEmpty() || p.equals(dir) || p.startsWith(dir + "/");
        }

        private static long claim(Map<Long, String> paths, String path) {
            long id = nodeId(path);
            String other = paths.putIfAbsent(id, path);
            if (other != null) {
                throw new IllegalStateException("node id collision between '" + other + "' and '" + path + "'");
            }
            return id;
        }

        private static String parentOf(String p) {
            int slash = p.lastIndexOf('/');
            return slash < 0 ? "" : p.substring(0, slash);
        }

        private static int depth(String p) {
            return p.isEmpty() ? 0 : p.split("/").length;
        }
    }

    /** How deep the host directory of a mirror is walked (sysfs's cpuN/cpuidle/stateN/s2idle/usage is 5). */
    static final int MIRROR_DEPTH = 6;

    /**
     * An entry of a mirrored host directory: {@code relative} to the mirror's host directory
     * {@code root}, whose first component {@code filter} may map to another host entry per caller.
     */
    private record HostEntry(Path root, String relative, ChildFilter filter) {
        Path path(Caller caller) throws FuseError {
            if (filter == null) return root.resolve(relative);
            int slash = relative.indexOf('/');
            String child = slash < 0 ? relative : relative.substring(0, slash);
            String hostChild = filter.hostName(caller, child);
            return root.resolve(slash < 0 ? hostChild : hostChild + relative.substring(slash));
        }
    }

    private record HostLink(HostEntry at, long size) {}

    /** A regular file of a mirrored host directory, read afresh at each read from offset 0. */
    private record HostFile(HostEntry at, int mode) implements Content.Rendered {
        @Override
        public byte[] render(Caller caller) throws FuseError {
            Path path = at.path(caller);
            try {
                return Files.readAllBytes(path);
            } catch (IOException e) {
                // sysfs refuses some attributes (write-only ones, some cpufreq files) or fails
                // reading them: the reader gets the host's answer as closely as Java tells it
                throw FuseError.of(errnoOf(e), "reading " + path + ": " + e.getMessage());
            }
        }
    }

    static int errnoOf(IOException e) {
        if (e instanceof AccessDeniedException) return Errno.EACCES;
        return e instanceof NoSuchFileException ? Errno.ENOENT : Errno.EIO;
    }

    private Node node(long id) throws FuseError {
        Node n = nodes.get(id);
        if (n == null) throw FuseError.of(Errno.ENOENT);
        return n;
    }

    private Dir dir(long id) throws FuseError {
        if (node(id) instanceof Dir d) return d;
        throw FuseError.of(Errno.ENOTDIR);
    }

    @Override
    public Entry lookup(Caller caller, long parent, String name) throws FuseError {
        Dir d = dir(parent);
        Node n = d.byName().get(name);
        if (n == null || d.filter() != null && !d.filter().visible(caller, name)) throw FuseError.of(Errno.ENOENT);
        return entryFor(caller, n);
    }

    @Override
    public Entry getattr(Caller caller, long node) throws FuseError {
        return entryFor(caller, node(node));
    }

    /**
     * {@code n}'s entry as {@code caller} sees it. A rendered file's size is the length of its
     * rendering for the caller, as a regular file's is its content's (LXCFS reports the host
     * file's): programs that go by it (`wc -c`, `tail`, Python's read sizing) see the caller's
     * length. A filtered directory links only the subdirectories the caller is shown, as
     * the caller's own machine would. Neither is cached by the kernel, so this is asked each time.
     */
    private Entry entryFor(Caller caller, Node n) throws FuseError {
        if (n instanceof File f && f.content() instanceof Content.Rendered r) return sizedEntry(caller, f, r);
        if (!(n instanceof Dir d) || d.filter() == null) return n.entry();
        int nlink = 2;
        for (Child c : d.children()) if (c.node() instanceof Dir && d.filter().visible(caller, c.name())) nlink++;
        Attr a = d.entry().attr();
        return new Entry(new Attr(a.ino(), a.size(), a.mode(), nlink, a.uid(), a.gid(), a.timeSeconds()),
                d.entry().entryTtlNanos(), d.entry().attrTtlNanos());
    }

    private Entry sizedEntry(Caller caller, File f, Content.Rendered r) {
        long size;
        try {
            // Not kept for the read that may follow: the same process can be in another container
            // by then (a runtime stats our files from a new container's first process, before it
            // has moved that process into its cgroups and set their limits).
            size = r.render(caller).length;
        } catch (FuseError | RuntimeException e) {
            size = 0; // a stat does not fail because the view does: the read says why
        }
        Attr a = f.entry().attr();
        return new Entry(new Attr(a.ino(), size, a.mode(), a.nlink(), a.uid(), a.gid(), a.timeSeconds()),
                f.entry().entryTtlNanos(), f.entry().attrTtlNanos());
    }

    /**
     * Not a regular file: EISDIR for a directory, ELOOP for a link (the kernel follows links itself).
     * instanceof, not a pattern switch: that switch is a class the JVM generates at every start (the
     * AOT cache keeps none) and an invokedynamic on every OPEN and READ.
     */
    private File file(long id) throws FuseError {
        Node n = node(id);
        if (n instanceof File f) return f;
        throw FuseError.of(n instanceof Dir ? Errno.EISDIR : Errno.ELOOP);
    }

    /**
     * Permission bits, enforced here rather than by the kernel (no {@code default_permissions}):
     * with it, the kernel asks for fresh attributes before every open of a file whose attributes
     * it may not cache, which for a rendered file means rendering it twice. Everything is owned
     * by root (uid and gid 0); root may read anything and run what has an x bit.
     */
    static void permit(Caller caller, int mode, int mask) throws FuseError {
        int want = mask & (Libc.R_OK | Libc.W_OK | Libc.X_OK);
        int granted;
        if (caller.uid() == 0) {
            granted = Libc.R_OK | Libc.W_OK | (((mode | mode >> 3 | mode >> 6) & Libc.X_OK) != 0 ? Libc.X_OK : 0);
        } else {
            granted = (caller.gid() == 0 ? mode >> 3 : mode) & 7;
        }
        if ((want & ~granted) != 0) throw FuseError.of(Errno.EACCES);
    }

    /** Whether {@code fh} was handed out by this tree (this process), not by another daemon's. */
    public boolean ownsHandle(long fh) {
        return fh != 0 && (fh & 0xffffffff00000000L) == epoch;
    }

    @Override
    public Opened open(Caller caller, long node, int flags) throws FuseError {
        File f = file(node);
        int access = flags & Libc.O_ACCMODE;
        boolean writing = access != Libc.O_RDONLY;
        if (writing && !(f.content() instanceof Content.Pollable)) throw FuseError.of(Errno.EROFS);
        permit(caller, f.entry().attr().mode(), (access == Libc.O_WRONLY ? 0 : Libc.R_OK) | (writing ? Libc.W_OK : 0));
        if (f.content() instanceof Content.Fixed) return new Opened(0, Opened.KEEP_CACHE);
        long fh = epoch | Integer.toUnsignedLong(nextHandle.incrementAndGet());
        if (f.content() instanceof Content.Pollable p) p.opened(caller, fh, flags);
        return new Opened(fh, Opened.DIRECT_IO);
    }

    @Override
    public boolean writable(long node) {
        return nodes.get(node) instanceof File f && f.content() instanceof Content.Pollable;
    }

    @Override
    public int write(Caller caller, long node, long fh, long offset, byte[] data) throws FuseError {
        if (!(file(node).content() instanceof Content.Pollable p)) throw FuseError.of(Errno.EROFS);
        return p.write(caller, fh, offset, data);
    }

    /** poll(2)'s mask for files that never block: readable and writable, like the kernel's default. */
    public static final int DEFAULT_POLLMASK = 0x1 | 0x4 | 0x40 | 0x100; // POLLIN|POLLOUT|POLLRDNORM|POLLWRNORM

    /**
     * Files other than {@link Content.Pollable} ones answer the kernel's default mask, as /proc
     * files without a poll method do. A tree with no pollable file answers ENOSYS, so the kernel
     * stops asking for the whole mount.
     */
    @Override
    public int poll(long node, long fh, long kh, boolean scheduleNotify, int events) throws FuseError {
        if (!pollable) throw FuseError.of(Errno.ENOSYS);
        if (nodes.get(node) instanceof File f && f.content() instanceof Content.Pollable p && fh != 0) {
            return p.poll(fh, kh, scheduleNotify, events);
        }
        return DEFAULT_POLLMASK;
    }

    @Override
    public int read(Caller caller, long node, long fh, long offset, int size, MemorySegment dst, boolean pageCache)
            throws FuseError {
        File f = file(node);
        if (f.content() instanceof Content.Fixed(byte[] fixed)) return copy(fixed, offset, size, dst);
        if (pageCache) {
            // The page cache of a file is shared by all its readers, and so is the size that ends
            // its reads: it cannot hold one rendering per reader. Refused, the page-cache read
            // (splice and sendfile on kernels that send them through it, mmap) fails with EIO and
            // busybox cat, shutil.copyfile and their like read(2) instead, which is the reader's own.
            throw FuseError.of(Errno.EIO);
        }
        Content.Rendered r = (Content.Rendered) f.content();
        byte[] bytes;
        if (offset == 0) {
            // from the start: a fresh rendering (top re-reads this way)
            bytes = r.render(caller);
        } else {
            RenderingCache.Kept k = fh == 0 ? null : handles.get(fh);
            if (k != null && k.bytes() == null && offset >= k.length()) return 0; // the end, read already
            bytes = k != null && k.bytes() != null ? k.bytes() : r.render(caller);
        }
        int n = copy(bytes, offset, size, dst);
        // Kept for reads at any offset (pread); if the budget runs short, one read to its end
        // keeps just its length, for the read at the end that follows.
        if (fh != 0) handles.put(fh, bytes, offset + n >= bytes.length);
        return n;
    }

    private static int copy(byte[] bytes, long offset, int size, MemorySegment dst) {
        if (offset >= bytes.length) return 0;
        int n = (int) Math.min(size, bytes.length - offset);
        MemorySegment.copy(bytes, (int) offset, dst, JAVA_BYTE, 0, n);
        return n;
    }

    @Override
    public byte[] readlink(Caller caller, long node) throws FuseError {
        if (!(node(node) instanceof Link l)) throw FuseError.of(Errno.EINVAL);
        Path path = l.host().path(caller);
        try {
            return Files.readSymbolicLink(path).toString().getBytes(StandardCharsets.UTF_8);
        } catch (java.nio.file.NotLinkException e) {
            throw FuseError.of(Errno.EINVAL, path + " is no longer a symbolic link");
        } catch (IOException e) {
            throw FuseError.of(errnoOf(e), "reading the link " + path + ": " + e.getMessage());
        }
    }

    @Override
    public void release(long node, long fh) {
        if (fh == 0) return;
        handles.remove(fh);
        if (nodes.get(node) instanceof File f && f.content() instanceof Content.Pollable p) p.released(fh);
    }

    @Override
    public void access(Caller caller, long node, int mask) throws FuseError {
        permit(caller, node(node).entry().attr().mode(), mask);
    }

    @Override
    public void readdir(Caller caller, long node, long fh, long offset, DirectoryListing out) throws FuseError {
        Dir d = dir(node);
        // Offsets: 0 ".", 1 "..", 2 + i the i-th child; each entry carries the offset of the next.
        long i = offset;
        if (i == 0 && !out.add(DOT, d.entry(), ++i)) return;
        if (i == 1 && !out.add(DOTDOT, node(d.parent()).entry(), ++i)) return;
        for (; i - 2 < d.children().size(); i++) {
            Child c = d.children().get((int) (i - 2));
            // a hidden child is skipped but keeps its offset, so offsets mean the same to every caller
            if (d.filter() != null && !d.filter().visible(caller, c.name())) continue;
            if (!out.add(c.utf8(), entryFor(caller, c.node()), i + 1)) return;
        }
    }

    private static final byte[] DOT = {'.'}, DOTDOT = {'.', '.'};

    /** Open handles holding a rendering or its length (for tests and metrics). */
    public int openRenderings() {
        return handles.size();
    }

    /** Bytes the open handles' renderings take, within the handle budget (for tests and metrics). */
    public long renderingBytes() {
        return handles.usedBytes();
    }

    /**
     * 31 random bits from /dev/urandom, in the high half. Not SecureRandom: its first use loads the
     * JDK's security providers and configuration, 5-10 ms of a restarted daemon's start while
     * readers wait. Without /dev/urandom, the clock and pid: all it must do is differ from the
     * epoch of the daemon before.
     */
    private static long randomEpoch() {
        int bits;
        try (FileInputStream in = new FileInputStream("/dev/urandom")) {
            byte[] b = in.readNBytes(4);
            if (b.length < 4) throw new EOFException("/dev/urandom");
            bits = (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
        } catch (IOException e) {
            bits = (int) (System.nanoTime() ^ System.currentTimeMillis() << 20 ^ ProcessHandle.current().pid() << 8);
        }
        return (bits & 0x7fffffffL) << 32;
    }
}
