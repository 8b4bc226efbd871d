package org.jlxcfs.fuse.tree;

import org.jlxcfs.fuse.Attr;
import org.jlxcfs.fuse.Caller;
import org.jlxcfs.fuse.DirectoryListing;
import org.jlxcfs.fuse.Entry;
import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.FuseError;
import org.jlxcfs.fuse.FuseFileSystem;
import org.jlxcfs.fuse.Opened;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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
 */
public final class VirtualTree implements FuseFileSystem {
    private final Map<Long, Node> nodes;
    private final long epoch = (new SecureRandom().nextInt() & 0x7fffffffL) << 32;
    private final AtomicInteger nextHandle = new AtomicInteger();
    /** Per-open renderings, so reads at an offset continue the rendering made at offset 0. */
    private final ConcurrentHashMap<Long, byte[]> renderings = new ConcurrentHashMap<>();

    private sealed interface Node permits Dir, File {
        long id();
        Entry entry();
    }

    private record Child(byte[] name, Node node) {}

    private record Dir(long id, long parent, List<Child> children, Map<String, Node> byName, Entry entry)
            implements Node {}

    private record File(long id, Content content, Entry entry) implements Node {}

    private VirtualTree(Map<Long, Node> nodes) {
        this.nodes = nodes;
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
        private final TreeMap<String, Boolean> dirs = new TreeMap<>();
        private Duration ttl = Duration.ofSeconds(1);

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

        /** Adds a file (and its parent directories). */
        public Builder file(String path, Content content) {
            String p = normalize(path);
            if (p.isEmpty() || dirs.containsKey(p)) throw new IllegalArgumentException(path + " is a directory");
            int slash = p.lastIndexOf('/');
            if (slash > 0) dir(p.substring(0, slash));
            files.put(p, content);
            return this;
        }

        /** How long the kernel may cache names and attributes (everything here is fixed). */
        public Builder cacheFor(Duration ttl) {
            this.ttl = ttl;
            return this;
        }

        public VirtualTree build() {
            long ttlNanos = ttl.toNanos();
            long now = Instant.now().getEpochSecond();
            Map<Long, Node> nodes = new HashMap<>();
            Map<Long, String> paths = new HashMap<>();
            Map<String, List<String>> childrenOf = new TreeMap<>();
            for (String p : dirs.keySet()) if (!p.isEmpty()) childrenOf.computeIfAbsent(parentOf(p), k -> new ArrayList<>()).add(p);
            for (String p : files.keySet()) childrenOf.computeIfAbsent(parentOf(p), k -> new ArrayList<>()).add(p);
            for (Map.Entry<String, Content> f : files.entrySet()) {
                long id = claim(paths, f.getKey());
                long size = f.getValue() instanceof Content.Fixed(byte[] bytes) ? bytes.length : 0;
                nodes.put(id, new File(id, f.getValue(),
                        new Entry(new Attr(id, size, Attr.S_IFREG | 0444, 1, 0, 0, now), ttlNanos, ttlNanos)));
            }
            // Directories deepest first, so each one's children exist when it is built.
            List<String> dirList = new ArrayList<>(dirs.keySet());
            dirList.sort((a, b) -> Integer.compare(depth(b), depth(a)));
            for (String d : dirList) {
                long id = claim(paths, d);
                List<Child> children = new ArrayList<>();
                Map<String, Node> byName = new HashMap<>();
                int subdirs = 0;
                for (String c : childrenOf.getOrDefault(d, List.of())) {
                    Node n = nodes.get(nodeId(c));
                    String name = c.substring(c.lastIndexOf('/') + 1);
                    children.add(new Child(name.getBytes(StandardCharsets.UTF_8), n));
                    byName.put(name, n);
                    if (n instanceof Dir) subdirs++;
                }
                long parent = d.isEmpty() ? ROOT_ID : nodeId(parentOf(d));
                nodes.put(id, new Dir(id, parent, List.copyOf(children), Map.copyOf(byName),
                        new Entry(new Attr(id, 0, Attr.S_IFDIR | 0555, 2 + subdirs, 0, 0, now), ttlNanos, ttlNanos)));
            }
            return new VirtualTree(Map.copyOf(nodes));
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
        Node n = dir(parent).byName().get(name);
        if (n == null) throw FuseError.of(Errno.ENOENT);
        return n.entry();
    }

    @Override
    public Entry getattr(Caller caller, long node) throws FuseError {
        return node(node).entry();
    }

    @Override
    public Opened open(Caller caller, long node, int flags) throws FuseError {
        Node n = node(node);
        if (!(n instanceof File f)) throw FuseError.of(Errno.EISDIR);
        if (f.content() instanceof Content.Fixed) return new Opened(0, Opened.KEEP_CACHE);
        return new Opened(epoch | Integer.toUnsignedLong(nextHandle.incrementAndGet()), Opened.DIRECT_IO);
    }

    @Override
    public int read(Caller caller, long node, long fh, long offset, int size, MemorySegment dst) throws FuseError {
        Node n = node(node);
        if (!(n instanceof File f)) throw FuseError.of(Errno.EISDIR);
        byte[] bytes;
        if (f.content() instanceof Content.Fixed(byte[] fixed)) {
            bytes = fixed;
        } else {
            Content.Rendered r = (Content.Rendered) f.content();
            bytes = offset == 0 ? null : renderings.get(fh);
            if (bytes == null) {
                bytes = r.render(caller);
                if (fh != 0) renderings.put(fh, bytes);
            }
        }
        if (offset >= bytes.length) return 0;
        int n2 = (int) Math.min(size, bytes.length - offset);
        MemorySegment.copy(bytes, (int) offset, dst, JAVA_BYTE, 0, n2);
        return n2;
    }

    @Override
    public void release(long node, long fh) {
        if (fh != 0) renderings.remove(fh);
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
            if (!out.add(c.name(), c.node().entry(), i + 1)) return;
        }
    }

    private static final byte[] DOT = {'.'}, DOTDOT = {'.', '.'};

    /** Open renderings held for reads at an offset (for tests and metrics). */
    public int openRenderings() {
        return renderings.size();
    }
}
