package org.jlxcfs.fuse;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * Decodes one request from the kernel, asks the {@link FuseFileSystem}, and encodes the reply.
 * Pure apart from the filesystem call: bytes in, bytes out, so it is tested on recorded requests
 * without a kernel. One instance is shared by all workers; each call uses only its buffers.
 */
public final class RequestHandler {
    private static final System.Logger LOG = System.getLogger("jlxcfs.fuse");

    /** Oldest protocol minor we speak: every struct we use has had its current shape since then. */
    public static final int MIN_MINOR = 27;
    /** Newest protocol minor we know; a newer kernel is answered with this one. */
    public static final int MAX_MINOR = 45;

    static final int IN_HEADER = 40, OUT_HEADER = 16, WRITE_IN = 40;
    /** fuse_poll_in.flags: the kernel has a waiter and wants a FUSE_NOTIFY_POLL when the answer changes. */
    static final int POLL_SCHEDULE_NOTIFY = 1;
    /** fuse_write_in.write_flags: the write comes from the page cache (a shared writable mapping). */
    static final int WRITE_CACHE = 1;
    static final int ATTR_SIZE = 88, ENTRY_OUT = 128, ATTR_OUT = 104, OPEN_OUT = 16, STATFS_OUT = 80,
            INIT_OUT = 64, DIRENT = 24, DIRENTPLUS = ENTRY_OUT + DIRENT;
    /** READ and READDIR replies never exceed this (32 pages: the kernel's limit without FUSE_MAX_PAGES). */
    public static final int MAX_READ = 128 * 1024;
    public static final int MAX_WRITE = 4096;
    /** Smallest buffer the kernel accepts for a read of /dev/fuse: max(8 KiB, header + write_in + max_write). */
    public static final int MIN_IN_BUFFER = 8192;
    public static final int IN_BUFFER = MAX_READ + 4096;
    public static final int OUT_BUFFER = OUT_HEADER + MAX_READ;

    /** fuse_read_in.read_flags: the kernel passed the reader's lock owner, as it does for direct I/O only. */
    static final int READ_LOCKOWNER = 1 << 1;

    /** Returned by {@link #handle} for requests that get no reply (FORGET, INTERRUPT, ...). */
    public static final int NO_REPLY = 0;

    private final FuseFileSystem fs;
    private final FuseConfig config;
    private final AtomicReference<InitState> init;
    private final Runnable onDestroy;
    private final Set<Integer> reportedOpcodes = ConcurrentHashMap.newKeySet();
    /** A reader that makes requests fail over and over must not flood the log. */
    private final RateLimitedLog failures = new RateLimitedLog(LOG, 60);

    /**
     * @param init      holds the negotiated state: empty until INIT, or preset when serving a
     *                  connection another process initialised
     * @param onDestroy called when the kernel sends DESTROY (the connection is going away)
     */
    public RequestHandler(FuseFileSystem fs, FuseConfig config, AtomicReference<InitState> init, Runnable onDestroy) {
        this.fs = fs;
        this.config = config;
        this.init = init;
        this.onDestroy = onDestroy;
    }

    /** The capability bits we ask for; the kernel grants the intersection with what it offers. */
    long wantedFlags() {
        long want = InitFlags.ASYNC_READ | InitFlags.PARALLEL_DIROPS | InitFlags.INIT_EXT
                | InitFlags.DIRECT_IO_ALLOW_MMAP;
        if (config.readdirplus()) want |= InitFlags.DO_READDIRPLUS | InitFlags.READDIRPLUS_AUTO;
        return want;
    }

    /**
     * Handles the request of {@code length} bytes at the start of {@code in}, writing the reply to
     * {@code out}. Never throws for any input.
     *
     * @return the reply's length in bytes, or {@link #NO_REPLY}
     */
    public int handle(MemorySegment in, int length, MemorySegment out) {
        if (length < IN_HEADER) {
            // Too short to trust even the unique: nothing can be answered.
            LOG.log(System.Logger.Level.WARNING, "dropped a truncated FUSE request of " + length + " bytes");
            return length >= OUT_HEADER ? error(out, in.get(JAVA_LONG_UNALIGNED, 8), Errno.EIO) : NO_REPLY;
        }
        int declared = in.get(JAVA_INT_UNALIGNED, 0);
        int opcode = in.get(JAVA_INT_UNALIGNED, 4);
        long unique = in.get(JAVA_LONG_UNALIGNED, 8);
        if (declared != length) {
            LOG.log(System.Logger.Level.WARNING, "FUSE request " + Opcode.name(opcode) + " says " + declared
                    + " bytes but " + length + " arrived; answered EIO");
            return refuse(out, unique, opcode, Errno.EIO);
        }
        long node = in.get(JAVA_LONG_UNALIGNED, 16);
        int extLen = Short.toUnsignedInt(in.get(JAVA_SHORT_UNALIGNED, 36)) * 8;
        int bodyEnd = length - extLen;
        if (bodyEnd < IN_HEADER) {
            LOG.log(System.Logger.Level.WARNING, "FUSE request " + Opcode.name(opcode)
                    + " has extensions longer than itself; answered EINVAL");
            return refuse(out, unique, opcode, Errno.EINVAL);
        }
        MemorySegment body = in.asSlice(IN_HEADER, bodyEnd - IN_HEADER);
        InitState state = init.get();
        if (state == null && opcode != Opcode.INIT) {
            LOG.log(System.Logger.Level.WARNING, "FUSE " + Opcode.name(opcode) + " before INIT; answered EIO");
            return refuse(out, unique, opcode, Errno.EIO);
        }
        try {
            Caller caller = new Caller(in.get(JAVA_INT_UNALIGNED, 32), in.get(JAVA_INT_UNALIGNED, 24),
                    in.get(JAVA_INT_UNALIGNED, 28));
            return dispatch(opcode, unique, node, caller, body, out, state);
        } catch (FuseError e) {
            return refuse(out, unique, opcode, e.errno());
        } catch (Truncated e) {
            LOG.log(System.Logger.Level.WARNING, "FUSE " + Opcode.name(opcode) + " request body of "
                    + body.byteSize() + " bytes is too short (" + e.getMessage() + "); answered EINVAL");
            return refuse(out, unique, opcode, Errno.EINVAL);
        } catch (Throwable e) {
            // Whatever went wrong is this request's alone: the worker and the mount live on.
            failures.log("FUSE " + Opcode.name(opcode) + " on node " + node + " failed; answered EIO", e);
            return refuse(out, unique, opcode, Errno.EIO);
        }
    }

    /** An error reply, except to requests the kernel expects no reply to (those are just dropped). */
    private static int refuse(MemorySegment out, long unique, int opcode, int errno) {
        return expectsReply(opcode) ? error(out, unique, errno) : NO_REPLY;
    }

    private int dispatch(int opcode, long unique, long node, Caller caller, MemorySegment body,
                         MemorySegment out, InitState state) throws FuseError {
        switch (opcode) {
            case Opcode.INIT:
                return init(unique, body, out, state);
            case Opcode.LOOKUP:
                return entry(out, unique, fs.lookup(caller, node, name(body, 0)));
            case Opcode.FORGET:
                need(body, 8);
                fs.forget(node, body.get(JAVA_LONG_UNALIGNED, 0));
                return NO_REPLY;
            case Opcode.BATCH_FORGET:
                return batchForget(body);
            case Opcode.GETATTR:
                return attr(out, unique, fs.getattr(caller, node));
            case Opcode.OPEN: {
                need(body, 4);
                int flags = body.get(JAVA_INT_UNALIGNED, 0);
                boolean writing = (flags & Libc.O_ACCMODE) != Libc.O_RDONLY;
                if ((writing && !fs.writable(node)) || (flags & Libc.O_TRUNC) != 0) throw FuseError.of(Errno.EROFS);
                return opened(out, unique, fs.open(caller, node, flags));
            }
            case Opcode.READ: {
                need(body, 20);
                int size = Math.min(body.get(JAVA_INT_UNALIGNED, 16), MAX_READ);
                long offset = body.get(JAVA_LONG_UNALIGNED, 8);
                if (size < 0 || offset < 0) throw FuseError.of(Errno.EINVAL);
                // Only read(2) (direct I/O) passes a lock owner; page-cache reads never do.
                boolean pageCache = (body.get(JAVA_INT_UNALIGNED, 20) & READ_LOCKOWNER) == 0;
                int n = fs.read(caller, node, body.get(JAVA_LONG_UNALIGNED, 0), offset, size,
                        out.asSlice(OUT_HEADER, size), pageCache);
                return header(out, unique, OUT_HEADER + Math.clamp(n, 0, size));
            }
            case Opcode.RELEASE:
                need(body, 8);
                fs.release(node, body.get(JAVA_LONG_UNALIGNED, 0));
                return header(out, unique, OUT_HEADER);
            case Opcode.OPENDIR:
                need(body, 4);
                return opened(out, unique, fs.opendir(caller, node, body.get(JAVA_INT_UNALIGNED, 0)));
            case Opcode.READDIR:
            case Opcode.READDIRPLUS:
                return readdir(opcode == Opcode.READDIRPLUS, unique, node, caller, body, out);
            case Opcode.RELEASEDIR:
                need(body, 8);
                fs.releasedir(node, body.get(JAVA_LONG_UNALIGNED, 0));
                return header(out, unique, OUT_HEADER);
            case Opcode.STATFS:
                return statfs(out, unique, fs.statfs(caller, node));
            case Opcode.ACCESS: {
                need(body, 4);
                int mask = body.get(JAVA_INT_UNALIGNED, 0);
                if ((mask & Libc.W_OK) != 0 && !fs.writable(node)) throw FuseError.of(Errno.EROFS);
                fs.access(caller, node, mask);
                return header(out, unique, OUT_HEADER);
            }
            case Opcode.READLINK: {
                byte[] target = fs.readlink(caller, node);
                if (target.length > MAX_READ) throw FuseError.of(Errno.ENAMETOOLONG);
                MemorySegment.copy(target, 0, out, JAVA_BYTE, OUT_HEADER, target.length);
                return header(out, unique, OUT_HEADER + target.length);
            }
            case Opcode.WRITE:
                if (!fs.writable(node)) throw FuseError.of(Errno.EROFS);
                return write(unique, node, caller, body, out);
            case Opcode.POLL: {
                need(body, 24);
                int revents = fs.poll(node, body.get(JAVA_LONG_UNALIGNED, 0), body.get(JAVA_LONG_UNALIGNED, 8),
                        (body.get(JAVA_INT_UNALIGNED, 16) & POLL_SCHEDULE_NOTIFY) != 0, body.get(JAVA_INT_UNALIGNED, 20));
                out.set(JAVA_INT_UNALIGNED, OUT_HEADER, revents);
                out.set(JAVA_INT_UNALIGNED, OUT_HEADER + 4, 0);
                return header(out, unique, OUT_HEADER + 8);
            }
            case Opcode.INTERRUPT:
                // Requests are answered inline in microseconds; there is never anything to interrupt.
            case Opcode.NOTIFY_REPLY:
                return NO_REPLY;
            case Opcode.DESTROY:
                onDestroy.run();
                return header(out, unique, OUT_HEADER);
            default:
                if (Opcode.modifies(opcode)) throw FuseError.of(Errno.EROFS);
                if (!Opcode.deliberatelyUnsupported(opcode) && reportedOpcodes.add(opcode)) {
                    LOG.log(System.Logger.Level.INFO, "FUSE " + Opcode.name(opcode)
                            + " is not supported; answering ENOSYS (logged once)");
                }
                throw FuseError.of(Errno.ENOSYS);
        }
    }

    /** The kernel waits for no reply to these, and a reply to them would be an error. */
    static boolean expectsReply(int opcode) {
        return opcode != Opcode.FORGET && opcode != Opcode.BATCH_FORGET && opcode != Opcode.INTERRUPT
                && opcode != Opcode.NOTIFY_REPLY;
    }

    private int init(long unique, MemorySegment body, MemorySegment out, InitState state) throws FuseError {
        need(body, 16);
        if (state != null) {
            LOG.log(System.Logger.Level.WARNING, "FUSE INIT on a connection already initialised; answered EPROTO");
            throw FuseError.of(Errno.EPROTO);
        }
        int major = body.get(JAVA_INT_UNALIGNED, 0);
        int minor = body.get(JAVA_INT_UNALIGNED, 4);
        int readahead = body.get(JAVA_INT_UNALIGNED, 8);
        long offered = Integer.toUnsignedLong(body.get(JAVA_INT_UNALIGNED, 12));
        if ((offered & InitFlags.INIT_EXT) != 0 && body.byteSize() >= 20) {
            offered |= Integer.toUnsignedLong(body.get(JAVA_INT_UNALIGNED, 16)) << 32;
        }
        out.asSlice(OUT_HEADER, INIT_OUT).fill((byte) 0);
        if (major > 7) {
            // The kernel then sends INIT again with major 7.
            out.set(JAVA_INT_UNALIGNED, OUT_HEADER, 7);
            out.set(JAVA_INT_UNALIGNED, OUT_HEADER + 4, MAX_MINOR);
            return header(out, unique, OUT_HEADER + INIT_OUT);
        }
        if (major < 7 || minor < MIN_MINOR) {
            LOG.log(System.Logger.Level.ERROR, "kernel FUSE protocol " + major + "." + minor
                    + " is older than 7." + MIN_MINOR + ", which jlxcfs needs; refusing INIT");
            throw FuseError.of(Errno.EPROTO);
        }
        long flags = offered & wantedFlags();
        InitState negotiated = new InitState(minor, offered, Math.min(minor, MAX_MINOR), flags, readahead,
                MAX_WRITE, 16, 12);
        MemorySegment o = out.asSlice(OUT_HEADER, INIT_OUT);
        o.set(JAVA_INT_UNALIGNED, 0, 7);
        o.set(JAVA_INT_UNALIGNED, 4, negotiated.minor());
        o.set(JAVA_INT_UNALIGNED, 8, readahead);
        o.set(JAVA_INT_UNALIGNED, 12, (int) flags);
        o.set(JAVA_SHORT_UNALIGNED, 16, (short) negotiated.maxBackground());
        o.set(JAVA_SHORT_UNALIGNED, 18, (short) negotiated.congestionThreshold());
        o.set(JAVA_INT_UNALIGNED, 20, MAX_WRITE);
        o.set(JAVA_INT_UNALIGNED, 24, 1); // time_gran: nanosecond timestamps
        o.set(JAVA_INT_UNALIGNED, 32, (int) (flags >>> 32));
        if (!init.compareAndSet(null, negotiated)) throw FuseError.of(Errno.EPROTO);
        LOG.log(System.Logger.Level.INFO, "FUSE connection initialised: " + negotiated);
        return header(out, unique, OUT_HEADER + INIT_OUT);
    }

    /** fuse_write_in (40 bytes: fh, offset, size, write_flags, lock_owner, flags, padding), then the data. */
    private int write(long unique, long node, Caller caller, MemorySegment body, MemorySegment out) throws FuseError {
        need(body, WRITE_IN);
        long fh = body.get(JAVA_LONG_UNALIGNED, 0);
        long offset = body.get(JAVA_LONG_UNALIGNED, 8);
        int size = body.get(JAVA_INT_UNALIGNED, 16);
        // writeback of a shared mapping's pages, not a write(2): nothing any writer asked for
        if ((body.get(JAVA_INT_UNALIGNED, 20) & WRITE_CACHE) != 0) throw FuseError.of(Errno.EROFS);
        if (size < 0 || size > body.byteSize() - WRITE_IN) throw new Truncated("write of " + size + " bytes");
        byte[] data = body.asSlice(WRITE_IN, size).toArray(JAVA_BYTE);
        int n = fs.write(caller, node, fh, offset, data);
        out.set(JAVA_INT_UNALIGNED, OUT_HEADER, Math.clamp(n, 0, size));
        out.set(JAVA_INT_UNALIGNED, OUT_HEADER + 4, 0);
        return header(out, unique, OUT_HEADER + 8);
    }

    private int batchForget(MemorySegment body) {
        need(body, 8);
        long count = Integer.toUnsignedLong(body.get(JAVA_INT_UNALIGNED, 0));
        long fits = (body.byteSize() - 8) / 16;
        if (count > fits) {
            LOG.log(System.Logger.Level.WARNING, "BATCH_FORGET claims " + count + " entries but carries " + fits
                    + "; forgetting those present");
            count = fits;
        }
        for (int i = 0; i < count; i++) {
            long off = 8 + 16L * i;
            fs.forget(body.get(JAVA_LONG_UNALIGNED, off), body.get(JAVA_LONG_UNALIGNED, off + 8));
        }
        return NO_REPLY;
    }

    private int readdir(boolean plus, long unique, long node, Caller caller, MemorySegment body,
                        MemorySegment out) throws FuseError {
        need(body, 20);
        long offset = body.get(JAVA_LONG_UNALIGNED, 8);
        int size = Math.min(body.get(JAVA_INT_UNALIGNED, 16), MAX_READ);
        if (size < 0 || offset < 0) throw FuseError.of(Errno.EINVAL);
        DirentWriter w = new DirentWriter(out, OUT_HEADER, OUT_HEADER + size, plus);
        fs.readdir(caller, node, body.get(JAVA_LONG_UNALIGNED, 0), offset, w);
        return header(out, unique, w.position);
    }

    /** Encodes fuse_dirent or fuse_direntplus records, never a partial one. */
    private static final class DirentWriter implements DirectoryListing {
        private final MemorySegment out;
        private final int limit;
        private final boolean plus;
        int position;

        DirentWriter(MemorySegment out, int start, int limit, boolean plus) {
            this.out = out;
            this.position = start;
            this.limit = limit;
            this.plus = plus;
        }

        @Override
        public boolean add(byte[] name, Entry entry, long nextOffset) {
            int fixed = plus ? DIRENTPLUS : DIRENT;
            int record = (fixed + name.length + 7) & ~7;
            if (position + record > limit) return false;
            int p = position;
            if (plus) {
                writeEntryOut(out, p, entry);
                p += ENTRY_OUT;
            }
            Attr a = entry.attr();
            out.set(JAVA_LONG_UNALIGNED, p, a.ino());
            out.set(JAVA_LONG_UNALIGNED, p + 8, nextOffset);
            out.set(JAVA_INT_UNALIGNED, p + 16, name.length);
            out.set(JAVA_INT_UNALIGNED, p + 20, a.direntType());
            MemorySegment.copy(name, 0, out, JAVA_BYTE, p + 24, name.length);
            out.asSlice(p + 24 + name.length, position + record - (p + 24 + name.length)).fill((byte) 0);
            position += record;
            return true;
        }
    }

    private static int entry(MemorySegment out, long unique, Entry e) {
        writeEntryOut(out, OUT_HEADER, e);
        return header(out, unique, OUT_HEADER + ENTRY_OUT);
    }

    private static void writeEntryOut(MemorySegment out, int at, Entry e) {
        out.set(JAVA_LONG_UNALIGNED, at, e.nodeId());
        out.set(JAVA_LONG_UNALIGNED, at + 8, 0L); // generation: ids are never reused
        out.set(JAVA_LONG_UNALIGNED, at + 16, e.entryTtlNanos() / 1_000_000_000L);
        out.set(JAVA_LONG_UNALIGNED, at + 24, e.attrTtlNanos() / 1_000_000_000L);
        out.set(JAVA_INT_UNALIGNED, at + 32, (int) (e.entryTtlNanos() % 1_000_000_000L));
        out.set(JAVA_INT_UNALIGNED, at + 36, (int) (e.attrTtlNanos() % 1_000_000_000L));
        writeAttr(out, at + 40, e.attr());
    }

    private static void writeAttr(MemorySegment out, int at, Attr a) {
        out.set(JAVA_LONG_UNALIGNED, at, a.ino());
        out.set(JAVA_LONG_UNALIGNED, at + 8, a.size());
        out.set(JAVA_LONG_UNALIGNED, at + 16, (a.size() + 511) / 512);
        out.set(JAVA_LONG_UNALIGNED, at + 24, a.timeSeconds());
        out.set(JAVA_LONG_UNALIGNED, at + 32, a.timeSeconds());
        out.set(JAVA_LONG_UNALIGNED, at + 40, a.timeSeconds());
        out.set(JAVA_LONG_UNALIGNED, at + 48, 0L); // atimensec, mtimensec
        out.set(JAVA_INT_UNALIGNED, at + 56, 0);   // ctimensec
        out.set(JAVA_INT_UNALIGNED, at + 60, a.mode());
        out.set(JAVA_INT_UNALIGNED, at + 64, a.nlink());
        out.set(JAVA_INT_UNALIGNED, at + 68, a.uid());
        out.set(JAVA_INT_UNALIGNED, at + 72, a.gid());
        out.set(JAVA_INT_UNALIGNED, at + 76, 0);    // rdev
        out.set(JAVA_INT_UNALIGNED, at + 80, 4096); // blksize
        out.set(JAVA_INT_UNALIGNED, at + 84, 0);    // flags
    }

    private static int attr(MemorySegment out, long unique, Entry e) {
        out.set(JAVA_LONG_UNALIGNED, OUT_HEADER, e.attrTtlNanos() / 1_000_000_000L);
        out.set(JAVA_INT_UNALIGNED, OUT_HEADER + 8, (int) (e.attrTtlNanos() % 1_000_000_000L));
        out.set(JAVA_INT_UNALIGNED, OUT_HEADER + 12, 0);
        writeAttr(out, OUT_HEADER + 16, e.attr());
        return header(out, unique, OUT_HEADER + ATTR_OUT);
    }

    private static int opened(MemorySegment out, long unique, Opened o) {
        out.set(JAVA_LONG_UNALIGNED, OUT_HEADER, o.fh());
        out.set(JAVA_INT_UNALIGNED, OUT_HEADER + 8, o.openFlags());
        out.set(JAVA_INT_UNALIGNED, OUT_HEADER + 12, 0);
        return header(out, unique, OUT_HEADER + OPEN_OUT);
    }

    private static int statfs(MemorySegment out, long unique, StatFs s) {
        MemorySegment o = out.asSlice(OUT_HEADER, STATFS_OUT);
        o.fill((byte) 0);
        o.set(JAVA_LONG_UNALIGNED, 0, s.blocks());
        o.set(JAVA_LONG_UNALIGNED, 8, s.blocksFree());
        o.set(JAVA_LONG_UNALIGNED, 16, s.blocksAvailable());
        o.set(JAVA_LONG_UNALIGNED, 24, s.files());
        o.set(JAVA_LONG_UNALIGNED, 32, s.filesFree());
        o.set(JAVA_INT_UNALIGNED, 40, s.blockSize());
        o.set(JAVA_INT_UNALIGNED, 44, s.nameMax());
        o.set(JAVA_INT_UNALIGNED, 48, s.blockSize());
        return header(out, unique, OUT_HEADER + STATFS_OUT);
    }

    static int error(MemorySegment out, long unique, int errno) {
        out.set(JAVA_INT_UNALIGNED, 0, OUT_HEADER);
        out.set(JAVA_INT_UNALIGNED, 4, -errno);
        out.set(JAVA_LONG_UNALIGNED, 8, unique);
        return OUT_HEADER;
    }

    private static int header(MemorySegment out, long unique, int length) {
        out.set(JAVA_INT_UNALIGNED, 0, length);
        out.set(JAVA_INT_UNALIGNED, 4, 0);
        out.set(JAVA_LONG_UNALIGNED, 8, unique);
        return length;
    }

    /** A NUL-terminated name at {@code offset} in the body. */
    private static String name(MemorySegment body, int offset) throws FuseError {
        long end = offset;
        long size = body.byteSize();
        while (end < size && body.get(JAVA_BYTE, end) != 0) end++;
        if (end == size) throw new Truncated("name without NUL terminator");
        if (end == offset) throw FuseError.of(Errno.EINVAL);
        if (end - offset > 255) throw FuseError.of(Errno.ENAMETOOLONG);
        byte[] bytes = body.asSlice(offset, end - offset).toArray(JAVA_BYTE);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void need(MemorySegment body, int bytes) {
        if (body.byteSize() < bytes) throw new Truncated("needs " + bytes);
    }

    /** A request body shorter than its opcode's struct. */
    private static final class Truncated extends RuntimeException {
        Truncated(String message) {
            super(message, null, false, false);
        }
    }
}
