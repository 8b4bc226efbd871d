"""Reader for bench/restart.sh: loops open / read(65536) / close on FILE for SECONDS.

Usage: restart_reader.py FILE SECONDS GRACE

Counts reads, failed reads (any OSError, e.g. ENOTCONN "Transport endpoint is not
connected"), empty reads, and the longest single open/read/close. Prints one line at the end:

  reads=N failed=N empty=N longest=S hung=0 first_fail=T last_fail=T first_error=...

(T: seconds since the start, -1 when nothing failed). A watchdog thread prints the same line
with hung=1, and longest at least as long as the read still in progress, GRACE seconds after
the end if the loop has not finished by then (a read blocked in the kernel), then exits.
Runs as pid 1 of a pid namespace (restart.sh starts it through unshare).
"""
import errno
import os
import sys
import threading
import time

path, seconds, grace = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
reads = failed = empty = 0
longest = 0.0
first_error = ''
first_fail = last_fail = -1.0
current = None  # monotonic start of the read in progress
done = threading.Lock()


def report(hung, slowest):
    if not done.acquire(blocking=False):
        return False
    sys.stdout.write('reads=%d failed=%d empty=%d longest=%.3f hung=%d first_fail=%.1f last_fail=%.1f first_error=%s\n'
                     % (reads, failed, empty, slowest, hung, first_fail, last_fail, first_error))
    sys.stdout.flush()
    return True


def watchdog():
    time.sleep(seconds + grace)
    started = current
    stall = time.monotonic() - started if started is not None else 0.0
    if report(1, max(longest, stall)):
        os._exit(3)


threading.Thread(target=watchdog, daemon=True).start()
t0 = time.monotonic()
end = t0 + seconds
while True:
    t = time.monotonic()
    if t >= end:
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
    if d > longest:
        longest = d
report(0, longest)
