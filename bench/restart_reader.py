"""Reader for bench/restart.sh: loops open / read(65536) / close on FILE for SECONDS.

Usage: restart_reader.py FILE SECONDS GRACE [SLOW_MS [STOP_FILE]]

It stops early once STOP_FILE exists (restart.sh creates it when its rounds are done, so
SECONDS is only an upper bound; a watchdog thread looks for it every 0.1 s, the loop only reads
a flag).

Counts reads, failed reads (any OSError, e.g. ENOTCONN "Transport endpoint is not
connected"), empty reads, and the longest single open/read/close. Prints two lines at the end:

  reads=N failed=N empty=N longest=S hung=0 elapsed=S first_fail=T last_fail=T first_error=...
  slow t0=EPOCH slow_ms=MS n=K reads=T:D,T:D,...

(T in the first line: seconds since the start, -1 when nothing failed.) The second line is the
timeline restart.sh matches against its rounds: every open/read/close (failed or not) that took
longer than SLOW_MS (default 2) ms, as its start T in seconds after t0 (wall-clock seconds since
the epoch when the loop started) and its duration D in seconds. Reads faster than that are only
counted: the loop stays as fast as before (one comparison more per read). A watchdog thread prints
both lines with hung=1, and the read still in progress as a slow one (longest at least its
duration so far), GRACE seconds after the end (SECONDS, or STOP_FILE seen) if the loop has not
finished by then (a read blocked in the kernel), then exits. Runs as pid 1 of a pid namespace (restart.sh starts it
through unshare).
"""
import errno
import os
import sys
import threading
import time

path, seconds, grace = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
slow_s = (float(sys.argv[4]) if len(sys.argv) > 4 else 2.0) / 1000.0
stop_file = sys.argv[5] if len(sys.argv) > 5 else None
stop = False    # set by the watchdog when STOP_FILE appears
reads = failed = empty = 0
longest = 0.0
first_error = ''
first_fail = last_fail = -1.0
current = None  # monotonic start of the read in progress
slow = []       # (monotonic start, duration) of every read slower than slow_s
done = threading.Lock()


def report(hung, slowest, extra):
    if not done.acquire(blocking=False):
        return False
    events = slow + extra
    sys.stdout.write('reads=%d failed=%d empty=%d longest=%.3f hung=%d elapsed=%.1f first_fail=%.1f last_fail=%.1f first_error=%s\n'
                     % (reads, failed, empty, slowest, hung, time.monotonic() - t0, first_fail, last_fail, first_error))
    sys.stdout.write('slow t0=%.6f slow_ms=%g n=%d reads=%s\n'
                     % (wall0, slow_s * 1000, len(events), ','.join('%.4f:%.4f' % (s - t0, d) for s, d in events)))
    sys.stdout.flush()
    return True


def watchdog():
    global stop
    deadline = end + grace
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if not stop and stop_file and os.path.exists(stop_file):
            stop = True
            deadline = min(deadline, time.monotonic() + grace)
    started = current
    stall = time.monotonic() - started if started is not None else 0.0
    if report(1, max(longest, stall), [(started, stall)] if started is not None else []):
        os._exit(3)


t0 = time.monotonic()
wall0 = time.time() - (time.monotonic() - t0)   # t0 on the wall clock, which restart.sh uses
end = t0 + seconds
threading.Thread(target=watchdog, daemon=True).start()
while True:
    t = time.monotonic()
    if t >= end or stop:
        break
    current = t
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            if not os.read(fd, 65536):
                empty += 1
        finally:
            os.close(fd)
    except OSError as e:
        failed += 1
        last_fail = t - t0
        if not first_error:
            first_fail = last_fail
            first_error = '%s %s' % (errno.errorcode.get(e.errno, e.errno), e.strerror)
    reads += 1
    d = time.monotonic() - t
    current = None
    if d > slow_s:
        slow.append((t, d))
    if d > longest:
        longest = d
report(0, longest, [])
