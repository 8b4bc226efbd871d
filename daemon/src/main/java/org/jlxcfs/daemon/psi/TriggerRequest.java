package org.jlxcfs.daemon.psi;

import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.FuseError;

import java.nio.charset.StandardCharsets;

/**
 * A PSI trigger as written to /proc/pressure/&lt;resource&gt;, validated as the kernel's psi_write
 * and psi_trigger_create (6.x) validate it, so a container sees the kernel's errors from ours:
 *
 * <ul>
 *   <li>at most the first {@value #KERNEL_BUFFER} bytes count and the last of them is replaced by a
 *       NUL (so a trigger must be written with its terminating NUL, or its last digit is lost);</li>
 *   <li>{@code some THRESHOLD WINDOW} or {@code full THRESHOLD WINDOW} as sscanf reads it: the
 *       keyword at the very start, any blanks, unsigned decimals (32 bits, wrapping), anything after
 *       the window ignored;</li>
 *   <li>window 1 µs .. 10 s, threshold 1 µs .. window;</li>
 *   <li>an unprivileged opener's window must be a multiple of 2 s (the kernel then aggregates in its
 *       averaging work and starts no real-time thread).</li>
 * </ul>
 *
 * One deviation: a write of a page ({@value #MAX_WRITE} bytes) or more is refused EINVAL, since
 * FUSE hands it over in pieces and the first piece cannot tell it from a whole write.
 *
 * @param full        {@code full} rather than {@code some}
 * @param thresholdUs stall threshold in microseconds
 * @param windowUs    window in microseconds
 */
public record TriggerRequest(boolean full, long thresholdUs, long windowUs) {
    static final int KERNEL_BUFFER = 32;
    static final int MAX_WRITE = 4096;
    static final long WINDOW_MAX_US = 10_000_000L, UNPRIVILEGED_WINDOW_STEP_US = 2_000_000L;

    /** Parses what a writer wrote; EINVAL for anything the kernel would refuse. */
    public static TriggerRequest parse(byte[] written, boolean privileged) throws FuseError {
        if (written.length == 0 || written.length >= MAX_WRITE) throw invalid("a write of " + written.length + " bytes");
        int n = Math.min(written.length, KERNEL_BUFFER) - 1; // the kernel's NUL goes at n
        int end = 0;
        while (end < n && written[end] != 0) end++;
        String text = new String(written, 0, end, StandardCharsets.ISO_8859_1);
        boolean full;
        if (text.startsWith("some")) full = false;
        else if (text.startsWith("full")) full = true;
        else throw invalid("no 'some' or 'full' keyword");
        int[] at = {4};
        long threshold = unsigned(text, at);
        long window = unsigned(text, at);
        if (threshold < 0 || window < 0) throw invalid("not 'some|full THRESHOLD WINDOW'");
        if (window == 0 || window > WINDOW_MAX_US) throw invalid("window " + window + " us outside 1..10000000");
        if (!privileged && window % UNPRIVILEGED_WINDOW_STEP_US != 0) {
            throw invalid("window " + window + " us is not a multiple of 2 s, which unprivileged writers need");
        }
        if (threshold == 0 || threshold > window) throw invalid("threshold " + threshold + " us outside 1..window");
        return new TriggerRequest(full, threshold, window);
    }

    /** What the daemon writes to the kernel's file: canonical, NUL-terminated. */
    public byte[] kernelText() {
        return ((full ? "full " : "some ") + thresholdUs + " " + windowUs + "\0").getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public String toString() {
        return (full ? "full " : "some ") + thresholdUs + " " + windowUs;
    }

    /** sscanf's %u: blanks skipped, then at least one digit, wrapping at 32 bits; -1 when there is no number. */
    private static long unsigned(String s, int[] at) {
        int i = at[0];
        while (i < s.length() && isSpace(s.charAt(i))) i++;
        int start = i;
        long v = 0;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            v = (v * 10 + (s.charAt(i) - '0')) & 0xffff_ffffL;
            i++;
        }
        at[0] = i;
        return i == start ? -1 : v;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
    }

    private static FuseError invalid(String why) {
        return FuseError.of(Errno.EINVAL, "PSI trigger refused: " + why);
    }
}
