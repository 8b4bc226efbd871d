# Reads each file given in every way programs read files, for ReadPathsLiveTest.
# Usage: read-paths-probe.py BUSYBOX FILE...   (BUSYBOX: path of busybox, or "-" for none)
# Prints one line per file and method: FILE TAB METHOD TAB ok|err|skip TAB base64(bytes)|message.
# "read(2)" comes first for each file: the reference the others are compared with.
import base64, errno, mmap, os, shutil, signal, subprocess, sys, tempfile

busybox, files = sys.argv[1], sys.argv[2:]
# copies go to memory: a write to disk would show in the container's own diskstats
tmp = tempfile.mkdtemp(prefix="jlxcfs-probe-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)


def out(path, method, status, payload):
    if status == "ok":
        payload = base64.b64encode(payload).decode()
    print(path, method, status, str(payload).replace("\t", " ").replace("\n", " "), sep="\t", flush=True)


def read2(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                return b"".join(chunks)
            chunks.append(b)
    finally:
        os.close(fd)


def program(*argv):
    p = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    if p.returncode != 0:
        raise OSError(0, "exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace").strip()))
    return p.stdout


def copyfile(path):
    dst = os.path.join(tmp, "copy")
    shutil.copyfile(path, dst)  # os.sendfile on Linux
    with open(dst, "rb") as f:
        return f.read()


def sendfile_loop(path):
    src = os.open(path, os.O_RDONLY)
    dst = os.open(os.path.join(tmp, "sendfile"), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while os.sendfile(dst, src, None, 1 << 16) > 0:
            pass
        os.lseek(dst, 0, os.SEEK_SET)
        return os.read(dst, 1 << 24)
    finally:
        os.close(src)
        os.close(dst)


def splice_loop(path):
    src = os.open(path, os.O_RDONLY)
    r, w = os.pipe()
    try:
        chunks = []
        while True:
            n = os.splice(src, w, 1 << 16)  # at most a pipe's worth, drained before the next
            if n == 0:
                return b"".join(chunks)
            while n > 0:
                b = os.read(r, n)
                chunks.append(b)
                n -= len(b)
    finally:
        for fd in (src, r, w):
            os.close(fd)


def pread_chunks(path):
    # cat-like reading in small pieces: each piece continues the same rendering
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks, off = [], 0
        while True:
            b = os.pread(fd, 1000, off)
            if not b:
                return b"".join(chunks)
            chunks.append(b)
            off += len(b)
    finally:
        os.close(fd)


def pread_halves(path):
    # the second half read at an offset on the same handle must be the rest of the first rendering
    fd = os.open(path, os.O_RDONLY)
    try:
        whole = os.pread(fd, 1 << 20, 0)
        half = len(whole) // 2
        rest = os.pread(fd, 1 << 20, half)
        if rest != whole[half:]:
            raise OSError(0, "pread at %d gave %d bytes %r, not the rest of the rendering (%d bytes %r)"
                          % (half, len(rest), rest[:40], len(whole) - half, whole[half:half + 40]))
        last = os.pread(fd, 10, len(whole) - 1) if whole else b""
        if whole and last != whole[-1:]:
            raise OSError(0, "pread of the last byte gave %r" % last)
        if os.pread(fd, 10, len(whole)) != b"":
            raise OSError(0, "pread at the end gave bytes")
        return whole
    finally:
        os.close(fd)


def pread_fresh_at_7(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, 1 << 20, 7)
    finally:
        os.close(fd)


def mmap_private(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            return None  # nothing to map: mmap needs a size
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # a fault beyond the data (SIGBUS) kills only the child
            os.close(r)
            try:
                m = mmap.mmap(fd, size, mmap.MAP_PRIVATE, mmap.PROT_READ)
                data = b"ok" + m[:]
            except OSError as e:
                data = b"skip" + ("mmap: %s" % errno.errorcode.get(e.errno, e.errno)).encode()
            view = memoryview(data)
            while view:
                view = view[os.write(w, view):]
            os._exit(0)
        os.close(w)
        chunks = []
        while True:
            b = os.read(r, 1 << 16)
            if not b:
                break
            chunks.append(b)
        os.close(r)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            raise OSError(0, "mmap reader killed by %s" % signal.Signals(os.WTERMSIG(status)).name)
        data = b"".join(chunks)
        if data.startswith(b"skip"):
            return data[4:].decode()
        return data[2:]
    finally:
        os.close(fd)


methods = [
    ("read(2)", read2),
    ("coreutils cat", lambda p: program("/usr/bin/cat", p)),
    ("dd iflag=direct bs=64k", lambda p: program("/usr/bin/dd", "if=" + p, "iflag=direct", "bs=64k", "status=none")),
    ("shutil.copyfile", copyfile),
    ("os.sendfile loop", sendfile_loop),
    ("os.splice loop", splice_loop),
    ("pread 1000-byte chunks", pread_chunks),
    ("pread halves, same handle", pread_halves),
    ("pread at 7, fresh handle", pread_fresh_at_7),
    ("mmap MAP_PRIVATE", mmap_private),
]
if busybox != "-":
    methods[1:1] = [
        ("busybox cat", lambda p: program(busybox, "cat", p)),
        ("busybox dd iflag=direct", lambda p: program(busybox, "dd", "if=" + p, "iflag=direct", "bs=65536")),
    ]

for path in files:
    for name, method in methods:
        try:
            data = method(path)
            if data is None:
                out(path, name, "skip", "size 0")
            elif isinstance(data, str):
                out(path, name, "skip", data)
            else:
                out(path, name, "ok", data)
        except (OSError, subprocess.SubprocessError) as e:
            message = e.strerror if isinstance(e, OSError) and e.errno == 0 else \
                "%s %s" % (errno.errorcode.get(getattr(e, "errno", None) or 0, type(e).__name__), e)
            out(path, name, "err", message)
shutil.rmtree(tmp, ignore_errors=True)
