package org.jlxcfs.fuse;

import org.jlxcfs.fuse.tree.Content;
import org.jlxcfs.fuse.tree.VirtualTree;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;

/** The codec on request bytes recorded from a real kernel (6.18, protocol 7.45) and on broken input. */
class RequestHandlerTest {
    private static final List<String[]> RECORDED = load();

    private final Arena arena = Arena.ofAuto();
    private final MemorySegment out = arena.allocate(RequestHandler.OUT_BUFFER);
    private final AtomicReference<InitState> init = new AtomicReference<>();
    private final VirtualTree tree = VirtualTree.builder()
            .file("proc/loadavg", Content.rendered(c -> "0.00 0.01 0.05 1/2 3\n".getBytes(StandardCharsets.US_ASCII)))
            .file("proc/uptime", Content.of("1.00 2.00\n"))
            .dir("sys/devices/system/cpu")
            .build();
    private boolean destroyed;
    private RequestHandler handler;

    @BeforeEach
    void setUp() {
        handler = new RequestHandler(tree, FuseConfig.defaults("test"), init, () -> destroyed = true);
    }

    private static List<String[]> load() {
        try (InputStream in = RequestHandlerTest.class.getResourceAsStream("/recorded-requests.txt")) {
            List<String[]> list = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) list.add(line.trim().split(" "));
            }
            return list;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] recorded(String opcode, int nth) {
        int seen = 0;
        for (String[] r : RECORDED) {
            if (r[0].equals(opcode) && seen++ == nth) return HexFormat.of().parseHex(r[1]);
        }
        throw new IllegalArgumentException("no recorded " + opcode + " #" + nth);
    }

    /** A request as the kernel builds it: header (pid 4242, uid 1000, gid 1000) plus body. */
    private static byte[] request(int opcode, long node, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(40 + body.length).order(ByteOrder.nativeOrder());
        b.putInt(40 + body.length).putInt(opcode).putLong(77).putLong(node).putInt(1000).putInt(1000).putInt(4242)
                .putInt(0).put(body);
        return b.array();
    }

    private static byte[] ints(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.nativeOrder());
        for (int v : values) b.putInt(v);
        return b.array();
    }

    private static byte[] readIn(long fh, long offset, int size) {
        return ByteBuffer.allocate(40).order(ByteOrder.nativeOrder()).putLong(fh).putLong(offset).putInt(size).array();
    }

    private int handle(byte[] request) {
        MemorySegment in = arena.allocate(Math.max(request.length, 1));
        MemorySegment.copy(request, 0, in, JAVA_BYTE, 0, request.length);
        return handler.handle(in, request.length, out);
    }

    private int error() {
        return -out.get(JAVA_INT_UNALIGNED, 4);
    }

    private void initialise() {
        assertThat(handle(recorded("INIT", 0))).isEqualTo(16 + 64);
    }

    @Test
    void recordedInitIsAnsweredWithOurMinorAndTheFlagsWeWantAndTheKernelOffers() {
        initialise();
        assertThat(out.get(JAVA_INT_UNALIGNED, 0)).isEqualTo(80);
        assertThat(error()).isZero();
        assertThat(out.get(JAVA_LONG_UNALIGNED, 8)).isEqualTo(2); // the recorded unique
        assertThat(out.get(JAVA_INT_UNALIGNED, 16)).isEqualTo(7);
        assertThat(out.get(JAVA_INT_UNALIGNED, 20)).isEqualTo(45);
        long flags = Integer.toUnsignedLong(out.get(JAVA_INT_UNALIGNED, 16 + 12))
                | (Integer.toUnsignedLong(out.get(JAVA_INT_UNALIGNED, 16 + 32)) << 32);
        assertThat(flags & InitFlags.ASYNC_READ).isNotZero();
        assertThat(flags & InitFlags.PARALLEL_DIROPS).isNotZero();
        assertThat(flags & InitFlags.INIT_EXT).isNotZero();
        assertThat(flags & InitFlags.HAS_RESEND).as("RESEND is a kernel capability, not a request").isZero();
        assertThat(out.get(JAVA_INT_UNALIGNED, 16 + 20)).isEqualTo(RequestHandler.MAX_WRITE);
        InitState s = init.get();
        assertThat(s.kernelMinor()).isEqualTo(45);
        assertThat(s.kernelCanResend()).isTrue();
        assertThat(s.flags()).isEqualTo(flags);
    }

    @Test
    void oldKernelInitWithoutFlags2IsAccepted() {
        // protocol 7.31 sends the 16-byte fuse_init_in
        assertThat(handle(request(Opcode.INIT, 0, ints(7, 31, 131072, (int) (InitFlags.ASYNC_READ | InitFlags.PARALLEL_DIROPS))))).isEqualTo(80);
        assertThat(out.get(JAVA_INT_UNALIGNED, 20)).isEqualTo(31);
        assertThat(init.get().kernelCanResend()).isFalse();
        assertThat(init.get().flags()).isEqualTo(InitFlags.ASYNC_READ | InitFlags.PARALLEL_DIROPS);
    }

    @Test
    void tooOldOrNewerMajorProtocolIsHandled() {
        assertThat(handle(request(Opcode.INIT, 0, ints(7, 20, 0, 0)))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.EPROTO);
        assertThat(init.get()).isNull();
        assertThat(handle(request(Opcode.INIT, 0, ints(8, 0, 0, 0)))).isEqualTo(80);
        assertThat(out.get(JAVA_INT_UNALIGNED, 16)).as("asks the kernel to retry with major 7").isEqualTo(7);
        assertThat(init.get()).isNull();
    }

    @Test
    void requestsBeforeInitAndASecondInitAreRefused() {
        assertThat(handle(recorded("LOOKUP", 0))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.EIO);
        initialise();
        assertThat(handle(recorded("INIT", 0))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.EPROTO);
    }

    @Test
    void recordedLookupFindsTheNodeWhoseIdTheKernelLaterUses() {
        initialise();
        assertThat(handle(recorded("LOOKUP", 0))).isEqualTo(16 + 128);
        long nodeId = out.get(JAVA_LONG_UNALIGNED, 16);
        assertThat(nodeId).isEqualTo(VirtualTree.nodeId("proc"));
        // the OPENDIR recorded right after names that id: ids are the same in every process
        assertThat(ByteBuffer.wrap(recorded("OPENDIR", 0)).order(ByteOrder.nativeOrder()).getLong(16)).isEqualTo(nodeId);
        assertThat(out.get(JAVA_INT_UNALIGNED, 16 + 40 + 60)).isEqualTo(Attr.S_IFDIR | 0555);
        assertThat(handle(recorded("LOOKUP", 1))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.ENOENT);
    }

    @Test
    void recordedGetattrOfTheRootDescribesADirectory() {
        initialise();
        assertThat(handle(recorded("GETATTR", 0))).isEqualTo(16 + 104);
        assertThat(out.get(JAVA_LONG_UNALIGNED, 16 + 16)).isEqualTo(1);
        assertThat(out.get(JAVA_INT_UNALIGNED, 16 + 16 + 60)).isEqualTo(Attr.S_IFDIR | 0555);
    }

    @Test
    void recordedReaddirplusListsDotDotDotAndChildrenWithAttributes() {
        initialise();
        int n = handle(recorded("READDIRPLUS", 0));
        List<String> names = new ArrayList<>();
        for (int p = 16; p < n; ) {
            int namelen = out.get(JAVA_INT_UNALIGNED, p + 128 + 16);
            names.add(new String(out.asSlice(p + 152, namelen).toArray(JAVA_BYTE), StandardCharsets.UTF_8));
            assertThat(out.get(JAVA_LONG_UNALIGNED, p)).as("entry_out.nodeid").isEqualTo(out.get(JAVA_LONG_UNALIGNED, p + 128));
            p += (152 + namelen + 7) & ~7;
        }
        assertThat(names).containsExactly(".", "..", "loadavg", "uptime");
        // READDIR from offset 11 (the recorded continuation) is past the end: empty reply
        assertThat(handle(recorded("READDIR", 0))).isEqualTo(16);
        assertThat(error()).isZero();
    }

    @Test
    void readdirNeverWritesAPartialRecord() {
        initialise();
        byte[] body = readIn(0, 0, 60); // room for "." (32) but not ".." too (32 more)
        int n = handle(request(Opcode.READDIR, VirtualTree.nodeId("proc"), body));
        assertThat(n).isEqualTo(16 + 32);
        assertThat(handle(request(Opcode.READDIR, VirtualTree.nodeId("proc"), readIn(0, 1, 4096)))).isEqualTo(16 + 32 * 3);
    }

    @Test
    void recordedOpenAndReadOfARenderedFileFromAnUnknownHandleRendersAfresh() {
        initialise();
        long loadavg = VirtualTree.nodeId("proc/loadavg");
        byte[] open = recorded("OPEN", 0);
        ByteBuffer.wrap(open).order(ByteOrder.nativeOrder()).putLong(16, loadavg);
        assertThat(handle(open)).isEqualTo(32);
        assertThat(out.get(JAVA_INT_UNALIGNED, 16 + 8) & Opened.DIRECT_IO).isNotZero();
        byte[] read = recorded("READ", 0); // carries a handle of the process that recorded it
        ByteBuffer.wrap(read).order(ByteOrder.nativeOrder()).putLong(16, loadavg);
        int n = handle(read);
        assertThat(new String(out.asSlice(16, n - 16).toArray(JAVA_BYTE), StandardCharsets.US_ASCII))
                .isEqualTo("0.00 0.01 0.05 1/2 3\n");
        byte[] release = recorded("RELEASE", 0);
        ByteBuffer.wrap(release).order(ByteOrder.nativeOrder()).putLong(16, loadavg);
        assertThat(handle(release)).isEqualTo(16);
        assertThat(tree.openRenderings()).isZero();
    }

    @Test
    void flushStatxAndXattrReadsGetEnosysSoTheKernelStopsAsking() {
        initialise();
        for (String op : List.of("FLUSH", "STATX")) {
            assertThat(handle(recorded(op, 0))).isEqualTo(16);
            assertThat(error()).as(op).isEqualTo(Errno.ENOSYS);
        }
        assertThat(handle(request(Opcode.GETXATTR, 1, "\0\0\0\0\0\0\0\0user.x\0".getBytes(StandardCharsets.US_ASCII)))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.ENOSYS);
        assertThat(handle(request(Opcode.LISTXATTR, 1, new byte[8]))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.ENOSYS);
    }

    @Test
    void everyModifyingRequestIsRefusedWithErofs() {
        initialise();
        int[] ops = {Opcode.SETATTR, Opcode.SYMLINK, Opcode.MKNOD, Opcode.MKDIR, Opcode.UNLINK, Opcode.RMDIR,
            Opcode.RENAME, Opcode.LINK, Opcode.WRITE, Opcode.SETXATTR, Opcode.REMOVEXATTR, Opcode.CREATE,
            Opcode.FALLOCATE, Opcode.RENAME2, Opcode.COPY_FILE_RANGE, Opcode.TMPFILE};
        for (int op : ops) {
            assertThat(handle(request(op, 1, new byte[96]))).as(Opcode.name(op)).isEqualTo(16);
            assertThat(error()).as(Opcode.name(op)).isEqualTo(Errno.EROFS);
        }
        assertThat(handle(request(Opcode.OPEN, VirtualTree.nodeId("proc/uptime"), ints(Libc.O_WRONLY, 0)))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.EROFS);
        assertThat(handle(request(Opcode.ACCESS, 1, ints(Libc.W_OK, 0)))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.EROFS);
        assertThat(handle(request(Opcode.ACCESS, 1, ints(Libc.R_OK, 0)))).isEqualTo(16);
        assertThat(error()).isZero();
    }

    @Test
    void unknownOpcodesGetEnosysAndNoReplyOnesGetNone() {
        initialise();
        assertThat(handle(request(4096, 1, new byte[8]))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.ENOSYS);
        assertThat(handle(request(Opcode.FORGET, 5, new byte[8]))).isZero();
        assertThat(handle(request(Opcode.INTERRUPT, 0, new byte[8]))).isZero();
        assertThat(handle(request(Opcode.DESTROY, 0, new byte[0]))).isEqualTo(16);
        assertThat(destroyed).isTrue();
    }

    @Test
    void truncatedAndInconsistentRequestsGetEioOrEinvalNeverAnException() {
        initialise();
        byte[] lookup = recorded("LOOKUP", 0);
        // a header shorter than 40 bytes: the unique is still readable, so EIO goes back
        assertThat(handle(java.util.Arrays.copyOf(lookup, 20))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.EIO);
        assertThat(handle(java.util.Arrays.copyOf(lookup, 10))).isZero();
        // declared length differs from what arrived
        assertThat(handle(java.util.Arrays.copyOf(lookup, lookup.length - 1))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.EIO);
        // bodies shorter than their struct
        assertThat(handle(request(Opcode.READ, VirtualTree.nodeId("proc/uptime"), new byte[10]))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.EINVAL);
        assertThat(handle(request(Opcode.OPEN, 1, new byte[2]))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.EINVAL);
        // a name without its NUL, an empty name, a too long name
        assertThat(handle(request(Opcode.LOOKUP, 1, "proc".getBytes(StandardCharsets.US_ASCII)))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.EINVAL);
        assertThat(handle(request(Opcode.LOOKUP, 1, new byte[1]))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.EINVAL);
        byte[] longName = new byte[300];
        java.util.Arrays.fill(longName, 0, 299, (byte) 'a');
        assertThat(handle(request(Opcode.LOOKUP, 1, longName))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.ENAMETOOLONG);
        // extension length larger than the request
        byte[] ext = recorded("GETATTR", 0);
        ext[36] = (byte) 0xff;
        assertThat(handle(ext)).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.EINVAL);
        // a batch forget claiming more entries than it carries forgets what is there, without a reply
        assertThat(handle(request(Opcode.BATCH_FORGET, 0, ints(1000, 0, 1, 0, 1, 0)))).isZero();
        // a node id nobody handed out
        assertThat(handle(request(Opcode.GETATTR, 0x1234567, new byte[16]))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.ENOENT);
        // negative offsets and sizes
        assertThat(handle(request(Opcode.READ, VirtualTree.nodeId("proc/uptime"), readIn(0, -5, 10)))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.EINVAL);
    }

    @Test
    void aFilesystemThatThrowsGetsEioAndTheHandlerKeepsServing() {
        VirtualTree broken = VirtualTree.builder().file("boom", Content.rendered(c -> {
            throw new IllegalStateException("renderer bug");
        })).build();
        handler = new RequestHandler(broken, FuseConfig.defaults("test"), init, () -> {});
        initialise();
        assertThat(handle(request(Opcode.READ, VirtualTree.nodeId("boom"), readIn(9, 0, 4096)))).isEqualTo(16);
        assertThat(error()).isEqualTo(Errno.EIO);
        assertThat(handle(recorded("GETATTR", 0))).isEqualTo(16 + 104);
    }

    @Test
    void randomBytesNeverCrashTheHandlerAndEveryReplyIsWellFormed() {
        initialise();
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            byte[] body = new byte[random.nextInt(200)];
            random.nextBytes(body);
            int opcode = random.nextInt(60);
            byte[] req = request(opcode, random.nextBoolean() ? 1 : random.nextLong(), body);
            if (random.nextInt(10) == 0) req[36] = (byte) random.nextInt(4); // sometimes claim extensions
            int n = handle(req);
            if (!RequestHandler.expectsReply(opcode)) assertThat(n).as(Opcode.name(opcode)).isZero();
            if (n == 0) continue;
            assertThat(n).isBetween(16, RequestHandler.OUT_BUFFER);
            assertThat(out.get(JAVA_INT_UNALIGNED, 0)).isEqualTo(n);
            int err = out.get(JAVA_INT_UNALIGNED, 4);
            assertThat(err).isBetween(-511, 0);
            if (err != 0) assertThat(n).isEqualTo(16);
            assertThat(out.get(JAVA_LONG_UNALIGNED, 8)).isEqualTo(77);
        }
    }
}
