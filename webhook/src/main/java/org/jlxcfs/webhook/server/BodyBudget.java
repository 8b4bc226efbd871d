package org.jlxcfs.webhook.server;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Bytes of request bodies held at once, over all connections. A realistic review is a few KiB,
 * so dozens at once never notice; a flood of maximal ones (4 MiB each, parsed into trees several
 * times that) waits for room, or after a moment is refused with 429, instead of exhausting the
 * heap. Loosely bounded: the permits are bytes.
 */
final class BodyBudget {
    private final int bytes;
    private final Semaphore permits;

    BodyBudget(int bytes) {
        this.bytes = bytes;
        this.permits = new Semaphore(bytes);
    }

    /** Takes room for a body of {@code size} bytes (at most the whole budget); false if there was none in time. */
    boolean acquire(int size, long waitMillis) throws InterruptedException {
        return permits.tryAcquire(Math.min(size, bytes), waitMillis, TimeUnit.MILLISECONDS);
    }

    void release(int size) {
        permits.release(Math.min(size, bytes));
    }
}
