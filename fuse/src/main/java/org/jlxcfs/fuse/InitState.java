package org.jlxcfs.fuse;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * What the kernel and this server agreed in FUSE_INIT. The kernel never repeats INIT on a live
 * connection and offers no way to query it, so a successor process that takes the connection over
 * must be handed this value: it serializes to a small versioned byte string.
 *
 * @param kernelMinor     protocol minor the kernel offered (major is always 7)
 * @param kernelFlags     capability bits the kernel offered (flags | flags2 << 32)
 * @param minor           protocol minor we answered with
 * @param flags           capability bits in force (offered and wanted)
 * @param maxReadahead    readahead limit we answered with
 * @param maxWrite        largest WRITE payload we accept
 * @param maxBackground   background request limit we answered with
 * @param congestionThreshold the kernel's congestion threshold we answered with
 */
public record InitState(int kernelMinor, long kernelFlags, int minor, long flags, int maxReadahead,
                        int maxWrite, int maxBackground, int congestionThreshold) {

    private static final int MAGIC = 0x4a4c4946; // "JLIF"
    /** Bump when fields are added; {@link #fromBytes} must keep reading every older version. */
    public static final int VERSION = 1;

    /** The kernel can re-queue requests that a dead server had read but not answered (FUSE_NOTIFY_RESEND). */
    public boolean kernelCanResend() {
        return (kernelFlags & InitFlags.HAS_RESEND) != 0;
    }

    public boolean has(long flag) {
        return (flags & flag) != 0;
    }

    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeShort(VERSION);
            out.writeInt(kernelMinor);
            out.writeLong(kernelFlags);
            out.writeInt(minor);
            out.writeLong(flags);
            out.writeInt(maxReadahead);
            out.writeInt(maxWrite);
            out.writeInt(maxBackground);
            out.writeInt(congestionThreshold);
        } catch (IOException e) {
            throw new IllegalStateException(e); // a byte array stream cannot fail
        }
        return bytes.toByteArray();
    }

    /** Reads any version written by this or an older build; rejects anything else with a reason. */
    public static InitState fromBytes(byte[] data) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            if (data.length < 6 || in.readInt() != MAGIC) {
                throw new IOException("not a jlxcfs FUSE init state (bad magic, " + data.length + " bytes)");
            }
            int version = in.readUnsignedShort();
            if (version < 1 || version > VERSION) {
                throw new IOException("FUSE init state version " + version + " is newer than this build reads ("
                        + VERSION + "); start the newer build instead");
            }
            InitState s = new InitState(in.readInt(), in.readLong(), in.readInt(), in.readLong(), in.readInt(),
                    in.readInt(), in.readInt(), in.readInt());
            if (in.available() != 0) throw new IOException("FUSE init state has " + in.available() + " trailing bytes");
            return s;
        } catch (java.io.EOFException e) {
            throw new IOException("FUSE init state is truncated (" + data.length + " bytes)", e);
        }
    }

    @Override
    public String toString() {
        return "7." + minor + " (kernel 7." + kernelMinor + ") flags=" + InitFlags.describe(flags)
                + " max_write=" + maxWrite + " resend=" + (kernelCanResend() ? "yes" : "no");
    }
}
