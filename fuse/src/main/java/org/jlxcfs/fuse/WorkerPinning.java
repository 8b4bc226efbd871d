package org.jlxcfs.fuse;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which CPUs each worker thread is pinned to. A reader blocked in a FUSE request is answered
 * fastest by a worker on its own CPU: waking a worker on another, idle CPU costs an
 * inter-processor interrupt and a wake from idle, which on virtual machines takes longer than
 * serving the request (measured: 4-7k against 47k open/read/close per second with one reader).
 * Unpinned workers drift to whichever CPU is idle; a pinned worker anchors the exchange, and the
 * scheduler's wake-affinity then pulls the reader next to it.
 *
 * <p>With at least as many CPUs as workers, worker i gets every CPU whose index in the allowed set
 * is i modulo the worker count (so every CPU has a worker); with more workers than CPUs, worker i
 * gets CPU i modulo the CPU count.
 */
final class WorkerPinning {
    private WorkerPinning() {}

    /** CPU sets per worker; empty when there is nothing to pin (one CPU or one worker). */
    static Optional<List<int[]>> assign(int[] allowedCpus, int workers) {
        int n = allowedCpus.length;
        if (n < 2 || workers < 2) return Optional.empty();
        List<int[]> sets = new ArrayList<>(workers);
        for (int w = 0; w < workers; w++) {
            if (workers >= n) {
                sets.add(new int[] {allowedCpus[w % n]});
                continue;
            }
            int[] set = new int[(n - w + workers - 1) / workers];
            for (int j = w, k = 0; j < n; j += workers) set[k++] = allowedCpus[j];
            sets.add(set);
        }
        return Optional.of(sets);
    }
}
