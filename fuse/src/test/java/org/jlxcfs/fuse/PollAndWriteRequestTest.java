package org.jlxcfs.fuse;

import org.jlxcfs.fuse.tree.Content;
import org.jlxcfs.fuse.tree.VirtualTree;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * WRITE and POLL as the kernel sends them: only a {@link Content.Pollable} file takes a write and
 * answers POLL itself; every other file answers the default mask; a tree without one answers POLL
 * ENOSYS (the kernel then polls nothing for the mount). The notification's bytes are fuse.h's.
 */
class PollAndWriteRequestTest {
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment out = arena.allocate(RequestHandler.OUT_BUFFER);
    private final List<String> calls = new ArrayList<>();

    private final Content.Pollable pollable = new Content.Pollable() {
        @Override
        public byte[] render(Caller caller) {
            return "some avg10=0.00\n".getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public void opened(Caller caller, long fh, int flags) {
            calls.add("opened " + (flags & Libc.O_ACCMODE));
        }

        @Override
        public int write(Caller caller, long fh, long offset, byte[] data) {
            calls.add("write " + new String(data, StandardCharsets.US_ASCII).replace("\0", "\\0") + " by " + caller.pid());
            return data.length;
        }

        @Override
        public int poll(long fh, long kh, boolean scheduleNotify, int events) {
            calls.add("poll kh=" + kh + " notify=" + scheduleNotify + " events=" + events);
            return VirtualTree.DEFAULT_POLLMASK | 0x2;
        }

        @Override
        public void released(long fh) {
            calls.add("released");
        }
    };

    private RequestHandler handler(VirtualTree tree) {
        AtomicReference<InitState> init = new AtomicReference<>(new InitState(45, 0, 45, 0, 0, 4096, 16, 12));
        return new RequestHandler(tree, FuseConfig.defaults("test"), init, () -> {});
    }

    private int handle(RequestHandler h, int opcode, long node, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(40 + body.length).order(ByteOrder.nativeOrder());
        b.putInt(40 + body.length).putInt(opcode).putLong(77).putLong(node).putInt(0).putInt(0).putInt(4242).putInt(0).put(body);
        MemorySegment in = arena.allocate(b.capacity());
        MemorySegment.copy(b.array(), 0, in, JAVA_BYTE, 0, b.capacity());
        return h.handle(in, b.capacity(), out);
    }

    private static ByteBuffer buf(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    @Test
    void aPollableFileOpensForWritingTakesAWriteAndAnswersPoll() {
        VirtualTree tree = VirtualTree.builder().file("proc/pressure/cpu", 0666, pollable)
                .file("proc/uptime", Content.of("1.00 2.00\n")).build();
        RequestHandler h = handler(tree);
        long node = VirtualTree.nodeId("proc/pressure/cpu");
        assertThat(handle(h, Opcode.OPEN, node, buf(8).putInt(Libc.O_RDWR).array())).isEqualTo(32);
        assertThat(out.get(JAVA_INT_UNALIGNED, 4)).isZero();
        long fh = out.get(JAVA_LONG_UNALIGNED, 16);
        byte[] trigger = "some 1 2\0".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer w = buf(40 + trigger.length).putLong(fh).putLong(0).putInt(trigger.length).putInt(0);
        w.position(40);
        w.put(trigger);
        assertThat(handle(h, Opcode.WRITE, node, w.array())).isEqualTo(24);
        assertThat(out.get(JAVA_INT_UNALIGNED, 4)).isZero();
        assertThat(out.get(JAVA_INT_UNALIGNED, 16)).as("bytes taken").isEqualTo(trigger.length);
        assertThat(handle(h, Opcode.POLL, node, buf(24).putLong(fh).putLong(9).putInt(1).putInt(0x2).array())).isEqualTo(24);
        assertThat(out.get(JAVA_INT_UNALIGNED, 16)).isEqualTo(VirtualTree.DEFAULT_POLLMASK | 0x2);
        // a write from the page cache (a shared writable mapping's writeback) is no trigger
        ByteBuffer cached = buf(40 + 4).putLong(fh).putLong(0).putInt(4).putInt(RequestHandler.WRITE_CACHE);
        assertThat(handle(h, Opcode.WRITE, node, cached.array())).isEqualTo(16);
        assertThat(-out.get(JAVA_INT_UNALIGNED, 4)).isEqualTo(Errno.EROFS);
        assertThat(handle(h, Opcode.RELEASE, node, buf(24).putLong(fh).array())).isEqualTo(16);
        assertThat(calls).containsExactly("opened 2", "write some 1 2\\0 by 4242", "poll kh=9 notify=true events=2", "released");

        long other = VirtualTree.nodeId("proc/uptime");
        assertThat(handle(h, Opcode.POLL, other, buf(24).putLong(0).putLong(10).putInt(1).putInt(0x2).array())).isEqualTo(24);
        assertThat(out.get(JAVA_INT_UNALIGNED, 16)).as("any other file's mask").isEqualTo(VirtualTree.DEFAULT_POLLMASK);
        assertThat(handle(h, Opcode.OPEN, other, buf(8).putInt(Libc.O_RDWR).array())).isEqualTo(16);
        assertThat(-out.get(JAVA_INT_UNALIGNED, 4)).isEqualTo(Errno.EROFS);
        assertThat(handle(h, Opcode.WRITE, other, buf(44).putLong(0).putLong(0).putInt(4).array())).isEqualTo(16);
        assertThat(-out.get(JAVA_INT_UNALIGNED, 4)).isEqualTo(Errno.EROFS);
    }

    @Test
    void aTreeWithoutPollableFilesAnswersPollEnosys() {
        RequestHandler h = handler(VirtualTree.builder().file("proc/uptime", Content.of("1.00 2.00\n")).build());
        assertThat(handle(h, Opcode.POLL, VirtualTree.nodeId("proc/uptime"), buf(24).array())).isEqualTo(16);
        assertThat(-out.get(JAVA_INT_UNALIGNED, 4)).isEqualTo(Errno.ENOSYS);
    }

    @Test
    void theNotificationIsFuseNotifyPollWithTheKernelsHandle() {
        MemorySegment m = arena.allocate(PollNotification.LENGTH);
        PollNotification.encode(m, 0x1234);
        assertThat(m.get(JAVA_INT_UNALIGNED, 0)).isEqualTo(24);
        assertThat(m.get(JAVA_INT_UNALIGNED, 4)).isEqualTo(1); // FUSE_NOTIFY_POLL
        assertThat(m.get(JAVA_LONG_UNALIGNED, 8)).isZero();  // unique 0: unsolicited
        assertThat(m.get(JAVA_LONG_UNALIGNED, 16)).isEqualTo(0x1234);
    }
}
