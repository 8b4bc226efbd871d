package org.jlxcfs.fuse;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class WorkerPinningTest {
    @Test
    void everyAllowedCpuHasAWorker() {
        List<int[]> sets = WorkerPinning.assign(new int[] {0, 1, 2, 3, 4, 8, 9}, 3).orElseThrow();
        assertThat(sets).hasSize(3);
        assertThat(sets.get(0)).containsExactly(0, 3, 9);
        assertThat(sets.get(1)).containsExactly(1, 4);
        assertThat(sets.get(2)).containsExactly(2, 8);
    }

    @Test
    void moreWorkersThanCpusShareThem() {
        List<int[]> sets = WorkerPinning.assign(new int[] {2, 5}, 3).orElseThrow();
        assertThat(sets).extracting(s -> s[0]).containsExactly(2, 5, 2);
        assertThat(sets).allSatisfy(s -> assertThat(s).hasSize(1));
    }

    @Test
    void nothingToPinWithOneCpuOrOneWorker() {
        assertThat(WorkerPinning.assign(new int[] {3}, 4)).isEmpty();
        assertThat(WorkerPinning.assign(new int[] {0, 1, 2}, 1)).isEmpty();
    }

    @Test
    void allowedCpusAreTheKernelsCpusAllowedList() throws Exception {
        String list = Files.readAllLines(Path.of("/proc/thread-self/status")).stream()
                .filter(l -> l.startsWith("Cpus_allowed_list:")).findFirst().orElseThrow()
                .substring("Cpus_allowed_list:".length()).strip();
        List<Integer> expected = new ArrayList<>();
        for (String range : list.split(",")) {
            String[] ends = range.split("-");
            int from = Integer.parseInt(ends[0]), to = Integer.parseInt(ends[ends.length - 1]);
            for (int c = from; c <= to; c++) expected.add(c);
        }
        assertThat(Libc.allowedCpus()).containsExactly(expected.stream().mapToInt(Integer::intValue).toArray());
    }

    @Test
    void aPinnedThreadRunsOnlyOnItsCpu() throws Exception {
        int[] cpus = Libc.allowedCpus();
        int last = cpus[cpus.length - 1];
        int[] pinResult = new int[1];
        int[][] afterwards = new int[1][];
        Thread t = Thread.ofPlatform().start(() -> {
            pinResult[0] = Libc.pinCurrentThread(new int[] {last});
            try {
                afterwards[0] = Libc.allowedCpus();
            } catch (LibcException e) {
                throw new IllegalStateException(e);
            }
        });
        t.join();
        assertThat(pinResult[0]).isZero();
        assertThat(afterwards[0]).containsExactly(last);
        assertThat(Libc.allowedCpus()).as("other threads keep their CPUs").containsExactly(cpus);
        assertThat(Libc.pinCurrentThread(new int[] {-1})).isEqualTo(-Errno.EINVAL);
    }
}
