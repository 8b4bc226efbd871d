package org.jlxcfs.view.cgroup;

import org.jlxcfs.view.FixtureHost;

/**
 * Fake processes for a {@link FixtureHost}: /proc/PID/stat, /proc/PID/status and
 * /proc/PID/task/TID/stat in the formats the kernel writes, for tests of {@link CgroupTasks} and
 * its users.
 */
public final class TaskFixtures {
    private TaskFixtures() {}

    /** A stat line as the kernel writes it (the fields of a real {@code cat /proc/self/stat}). */
    public static String stat(int tid, String comm, char state, int threads, long start) {
        return tid + " (" + comm + ") " + state + " 4000 4000 4000 0 -1 4194560 1523 0 2 0 37 11 0 0 20 0 "
                + threads + " 0 " + start + " 8675328 911 18446744073709551615 94570274148352 94570274168233 "
                + "140734824230128 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94570274184240 94570274185856 94570568753152 "
                + "140734824237795 140734824237815 140734824237815 140734824239083 0\n";
    }

    public static String status(String comm, int pid, String nspid) {
        return "Name:\t" + comm + "\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t" + pid + "\nNgid:\t0\nPid:\t" + pid
                + "\nPPid:\t4000\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t0 \nNStgid:\t"
                + nspid + "\nNSpid:\t" + nspid + "\nNSpgid:\t" + nspid + "\nNSsid:\t" + nspid
                + "\nVmPeak:\t    8472 kB\nVmSize:\t    8472 kB\nThreads:\t1\n";
    }

    /**
     * A process: the leader's state first, then its further threads (tids pid+1, pid+2, ...).
     *
     * @param nspid its NSpid line, host pid first ("4100\t27")
     * @param start its start time in clock ticks after boot
     */
    public static void process(FixtureHost fx, int pid, String comm, String nspid, long start, char... states) {
        fx.proc(pid + "/status", status(comm, pid, nspid));
        setStates(fx, pid, comm, start, states);
    }

    /** Rewrites the thread states of a process. */
    public static void setStates(FixtureHost fx, int pid, String comm, long start, char... states) {
        fx.proc(pid + "/stat", stat(pid, comm, states[0], states.length, start));
        for (int i = 0; i < states.length; i++) {
            fx.proc(pid + "/task/" + (pid + i) + "/stat", stat(pid + i, comm, states[i], states.length, start));
        }
    }
}
