# PSI trigger calls on a pressure file, for PsiTriggerLiveTest. Prints one result per line.
#   wait FILE TRIGGER SECONDS     write TRIGGER (with its NUL), poll POLLPRI for SECONDS:
#                                 "event SECONDS_SINCE_WRITE REVENTS_HEX EPOCH_SECONDS" per wake-up, then "events N"
#   writes FILE                   the malformed writes and the second write: "CASE\tERRNO|OK"
#   many FILE N TRIGGER HOLD      opens N handles and writes TRIGGER to each, keeping them open:
#                                 "ok N refused M errno E", then holds them HOLD seconds
import errno, os, resource, select, sys, time

def err(e):
    return errno.errorcode.get(e.errno, str(e.errno))

def open_write(path, data):
    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    try:
        os.write(fd, data)
        return fd, "OK"
    except OSError as e:
        return fd, err(e)

def wait(path, trigger, seconds):
    fd, r = open_write(path, trigger.encode() + b"\0")
    if r != "OK":
        print("write", r)
        return
    p = select.poll()
    p.register(fd, select.POLLPRI)
    t0 = time.monotonic()
    n = 0
    while True:
        left = seconds - (time.monotonic() - t0)
        if left <= 0:
            break
        for _, ev in p.poll(int(left * 1000) + 1):
            n += 1
            print("event %.3f 0x%x %.6f" % (time.monotonic() - t0, ev, time.time()), flush=True)
            if ev & select.POLLERR:
                print("events", n)
                return
    print("events", n)

CASES = [
    ("bad keyword", b"most 100000 2000000\0"),
    ("leading blank", b" some 100000 2000000\0"),
    ("no numbers", b"some\0"),
    ("one number", b"some 100000\0"),
    ("zero window", b"some 0 0\0"),
    ("huge window", b"some 100000 12000000\0"),
    ("threshold above window", b"some 3000000 2000000\0"),
    ("zero threshold", b"some 0 2000000\0"),
    ("negative", b"some -1 2000000\0"),
    ("not NUL-terminated", b"some 100000 2000000"),
    ("longer than a page", b"some 100000 2000000\0" + b" " * 5000),
    ("empty string", b"\0"),
    ("unprivileged 1 s window", b"some 100000 1000000\0"),
    ("full 2 s", b"full 100000 2000000\0"),
    ("some 2 s then NUL and junk", b"some 100000 2000000\0junk"),
]

def writes(path):
    for name, data in CASES:
        fd, r = open_write(path, data)
        os.close(fd)
        print("%s\t%s" % (name, r))
    fd, r = open_write(path, b"some 100000 2000000\0")
    try:
        os.write(fd, b"some 150000 2000000\0")
        r2 = "OK"
    except OSError as e:
        r2 = err(e)
    os.close(fd)
    print("first write\t%s" % r)
    print("second write on the handle\t%s" % r2)

def many(path, n, trigger, hold):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 100), hard))
    fds, ok, refused, errs = [], 0, 0, set()
    for _ in range(n):
        fd, r = open_write(path, trigger.encode() + b"\0")
        if r == "OK":
            ok += 1
            fds.append(fd)
        else:
            refused += 1
            errs.add(r)
            os.close(fd)
    print("ok %d refused %d errno %s" % (ok, refused, ",".join(sorted(errs)) or "-"), flush=True)
    time.sleep(hold)

mode = sys.argv[1]
if mode == "wait":
    wait(sys.argv[2], sys.argv[3], float(sys.argv[4]))
elif mode == "writes":
    writes(sys.argv[2])
elif mode == "many":
    many(sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]))
