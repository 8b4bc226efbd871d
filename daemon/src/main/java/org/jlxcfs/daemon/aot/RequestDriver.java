package org.jlxcfs.daemon.aot;

import org.jlxcfs.fuse.RequestHandler;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * Feeds a {@link RequestHandler} the requests the kernel would send, laid out as the kernel's FUSE
 * ABI lays them out (the handler cannot tell them from real ones), and decodes the few reply fields
 * a walk needs. No /dev/fuse: the AOT training exercises the request path in-process.
 */
final class RequestDriver {
    // opcodes and sizes from <linux/fuse.h>
    static final int LOOKUP = 1, GETATTR = 3, OPEN = 14, READ = 15, STATFS = 17, RELEASE = 18, ACCESS = 34,
            INIT = 26, OPENDIR = 27, RELEASEDIR = 29, READDIRPLUS = 44;
    private static final int IN_HEADER = 40, OUT_HEADER = 16, ENTRY_OUT = 128, MODE_IN_ENTRY = 16 + 40 + 60;
    static final int S_IFMT = 0170000, S_IFDIR = 0040000, S_IFREG = 0100000;
    private static final int READ_SIZE = 65536;

    private final RequestHandler handler;
    private final MemorySegment in = Arena.ofAuto().allocate(RequestHandler.IN_BUFFER);
    private final MemorySegment out = Arena.ofAuto().allocate(RequestHandler.OUT_BUFFER);
    private final int pid;
    private long unique = 2;

    /** An entry of a directory as LOOKUP or READDIRPLUS gave it. */
    record Node(long id, int mode, String name) {
        boolean isDir() {
            return (mode & S_IFMT) == S_IFDIR;
        }

        boolean isFile() {
            return (mode & S_IFMT) == S_IFREG;
        }
    }

    RequestDriver(RequestHandler handler, int pid) {
        this.handler = handler;
        this.pid = pid;
    }

    /** Sends {@code body} as request {@code opcode} on {@code node}; returns the reply's error (0 or -errno) and length. */
    private long send(int opcode, long node, byte[] body) {
        int len = IN_HEADER + body.length;
        in.set(JAVA_INT_UNALIGNED, 0, len);
        in.set(JAVA_INT_UNALIGNED, 4, opcode);
        in.set(JAVA_LONG_UNALIGNED, 8, unique++);
        in.set(JAVA_LONG_UNALIGNED, 16, node);
        in.set(JAVA_INT_UNALIGNED, 24, 0);
        in.set(JAVA_INT_UNALIGNED, 28, 0);
        in.set(JAVA_INT_UNALIGNED, 32, pid);
        in.set(JAVA_INT_UNALIGNED, 36, 0);
        MemorySegment.copy(body, 0, in, JAVA_BYTE, IN_HEADER, body.length);
        int n = handler.handle(in, len, out);
        if (n < OUT_HEADER) throw new IllegalStateException("no reply to opcode " + opcode + " on node " + node);
        return ((long) out.get(JAVA_INT_UNALIGNED, 4) << 32) | n;
    }

    private static int error(long reply) {
        return (int) (reply >> 32);
    }

    private static int length(long reply) {
        return (int) reply;
    }

    /** A body of little-endian fields, each given as {width, value} pairs. */
    private static byte[] body(long... widthValue) {
        int size = 0;
        for (int i = 0; i < widthValue.length; i += 2) size += (int) widthValue[i];
        MemorySegment s = MemorySegment.ofArray(new byte[size]);
        int at = 0;
        for (int i = 0; i < widthValue.length; i += 2) {
            if (widthValue[i] == 8) s.set(JAVA_LONG_UNALIGNED, at, widthValue[i + 1]);
            else s.set(JAVA_INT_UNALIGNED, at, (int) widthValue[i + 1]);
            at += (int) widthValue[i];
        }
        return s.toArray(JAVA_BYTE);
    }

    /** INIT as kernel 6.18 sends it (protocol 7.45, every flag offered). */
    void init() {
        long r = send(INIT, 0, body(4, 7, 4, 45, 4, 128 * 1024, 4, 0xffffffffL, 4, 0xffffffffL, 4, 0,
                8, 0, 8, 0, 8, 0, 8, 0, 8, 0));
        if (error(r) != 0) throw new IllegalStateException("INIT answered error " + error(r));
    }

    /** LOOKUP of {@code name} in directory {@code parent}; null when it does not exist. */
    Node lookup(long parent, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[n.length + 1];
        System.arraycopy(n, 0, b, 0, n.length);
        long r = send(LOOKUP, parent, b);
        if (error(r) != 0) return null;
        return new Node(out.get(JAVA_LONG_UNALIGNED, OUT_HEADER), out.get(JAVA_INT_UNALIGNED, MODE_IN_ENTRY), name);
    }

    void getattr(long node) {
        send(GETATTR, node, body(4, 0, 4, 0, 8, 0));
    }

    void access(long node) {
        send(ACCESS, node, body(4, 4, 4, 0));
    }

    void statfs() {
        send(STATFS, 1, new byte[0]);
    }

    /** OPEN, READ of the whole file (as the benchmarks' readers do) and RELEASE; returns the bytes read. */
    int readFile(long node) {
        long r = send(OPEN, node, body(4, 0, 4, 0));
        long fh = error(r) == 0 && length(r) >= OUT_HEADER + 8 ? out.get(JAVA_LONG_UNALIGNED, OUT_HEADER) : 0;
        int total = 0;
        for (long offset = 0; ; ) {
            r = send(READ, node, body(8, fh, 8, offset, 4, READ_SIZE, 4, 2, 8, 0, 4, 0, 4, 0));
            int n = length(r) - OUT_HEADER;
            if (error(r) != 0 || n <= 0) break;
            total += n;
            offset += n;
        }
        send(RELEASE, node, body(8, fh, 4, 0, 4, 0, 8, 0));
        return total;
    }

    /** OPENDIR, READDIRPLUS until the end, RELEASEDIR: the directory's entries (without . and ..). */
    List<Node> list(long dir) {
        long r = send(OPENDIR, dir, body(4, 0, 4, 0));
        long fh = error(r) == 0 && length(r) >= OUT_HEADER + 8 ? out.get(JAVA_LONG_UNALIGNED, OUT_HEADER) : 0;
        List<Node> entries = new ArrayList<>();
        long offset = 0;
        while (true) {
            r = send(READDIRPLUS, dir, body(8, fh, 8, offset, 4, READ_SIZE, 4, 0, 8, 0, 4, 0, 4, 0));
            int end = length(r);
            if (error(r) != 0 || end <= OUT_HEADER) break;
            for (int at = OUT_HEADER; at + ENTRY_OUT + 24 <= end; ) {
                long id = out.get(JAVA_LONG_UNALIGNED, at);
                int mode = out.get(JAVA_INT_UNALIGNED, at + MODE_IN_ENTRY - OUT_HEADER);
                offset = out.get(JAVA_LONG_UNALIGNED, at + ENTRY_OUT + 8);
                int nameLen = out.get(JAVA_INT_UNALIGNED, at + ENTRY_OUT + 16);
                byte[] name = new byte[nameLen];
                MemorySegment.copy(out, JAVA_BYTE, at + ENTRY_OUT + 24, name, 0, nameLen);
                String s = new String(name, StandardCharsets.UTF_8);
                if (!s.equals(".") && !s.equals("..")) entries.add(new Node(id, mode, s));
                at += (ENTRY_OUT + 24 + nameLen + 7) & ~7;
            }
        }
        send(RELEASEDIR, dir, body(8, fh, 4, 0, 4, 0, 8, 0));
        return entries;
    }
}
