# Tries every write-like call on files and directories of a jlxcfs mount, for WriteRefusalLiveTest.
# Usage: write-refusal-probe.py tree MOUNT          -> one line per entry: PATH TAB TYPE TAB MODE TAB UID TAB GID
#        write-refusal-probe.py try MOUNT PATH...   -> one line per call: PATH TAB CALL TAB ERRNO-NAME|OK
#        write-refusal-probe.py open MOUNT PATH...  -> PATH TAB open(O_RDONLY) TAB ERRNO-NAME|OK
# Calls on mirrored host entries (under cpuN) are made so that they would change nothing if they
# succeeded (mode, owner and times set to their own, their own bytes written back): should the
# daemon pass one through, the host would not change.
import ctypes, errno, mmap, os, stat, sys

mode, mount, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
NEW = ".jlxcfs-write-test"


def rel(p):
    return os.path.relpath(p, mount)


def attempt(path, call, fn):
    try:
        fn()
        r = "OK"
    except OSError as e:
        r = errno.errorcode.get(e.errno, str(e.errno))
    print(rel(path), call, r, sep="\t", flush=True)


def tree():
    for dirpath, dirs, files in os.walk(mount):
        dirs.sort()
        links = [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]
        for n in [dirpath] + sorted(os.path.join(dirpath, f) for f in files + links):
            st = os.lstat(n)
            kind = "d" if stat.S_ISDIR(st.st_mode) else "l" if stat.S_ISLNK(st.st_mode) else "f" if stat.S_ISREG(st.st_mode) else "?"
            print(rel(n), kind, "%04o" % stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, sep="\t")


def own_bytes(p):
    try:
        fd = os.open(p, os.O_RDONLY)
        try:
            return os.read(fd, 1 << 20)
        finally:
            os.close(fd)
    except OSError:
        return b""


def open_close(p, flags):
    return lambda: os.close(os.open(p, flags, 0o444))


def write_back(p):
    data = own_bytes(p)

    def f():
        fd = os.open(p, os.O_WRONLY)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    return f


def with_fd(p, flags, fn):
    def f():
        fd = os.open(p, flags)
        try:
            fn(fd)
        finally:
            os.close(fd)
    return f


libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]


def shared_map(fd):
    # libc's mmap itself: Python's refuses a length beyond the reported size before asking the kernel
    addr = libc.mmap(None, 4096, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED, fd, 0)
    if addr is None or addr == ctypes.c_void_p(-1).value:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    libc.munmap(addr, 4096)


def common(p, st):
    mirrored = "/sys/devices/system/cpu/cpu" in p
    attempt(p, "chmod(own mode)", lambda: os.chmod(p, stat.S_IMODE(st.st_mode)))
    attempt(p, "chown(own owner)", lambda: os.chown(p, st.st_uid, st.st_gid))
    attempt(p, "utimes(own times)", lambda: os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns)))
    if not mirrored:
        attempt(p, "chmod(0777)", lambda: os.chmod(p, 0o777))
        attempt(p, "chown(65534)", lambda: os.chown(p, 65534, 65534))
        attempt(p, "utimes(now)", lambda: os.utime(p, None))
    attempt(p, "setxattr(user.)", lambda: os.setxattr(p, "user.jlxcfs-test", b"1"))
    attempt(p, "setxattr(trusted.)", lambda: os.setxattr(p, "trusted.jlxcfs-test", b"1"))
    attempt(p, "removexattr(user.)", lambda: os.removexattr(p, "user.jlxcfs-test"))
    if p != mount:  # renaming the mount point would be a call on the file system below it
        attempt(p, "rename(to a new name)", lambda: os.rename(p, p + NEW))


def try_directory(p, st):
    n = os.path.join(p, "new" + NEW)
    attempt(p, "open(O_WRONLY)", open_close(p, os.O_WRONLY))
    attempt(p, "open(O_RDWR)", open_close(p, os.O_RDWR))
    attempt(p, "open(new, O_CREAT|O_WRONLY)", open_close(n, os.O_CREAT | os.O_WRONLY))
    attempt(p, "open(new, O_CREAT|O_EXCL|O_RDWR)", open_close(n, os.O_CREAT | os.O_EXCL | os.O_RDWR))
    attempt(p, "open(O_TMPFILE)", open_close(p, os.O_TMPFILE | os.O_WRONLY))
    attempt(p, "mknod(new, S_IFREG)", lambda: os.mknod(n, 0o444 | stat.S_IFREG))
    attempt(p, "mknod(new, S_IFIFO)", lambda: os.mknod(n, 0o444 | stat.S_IFIFO))
    attempt(p, "mkdir(new)", lambda: os.mkdir(n))
    attempt(p, "symlink(new)", lambda: os.symlink("/etc/passwd", n))
    attempt(p, "rmdir", lambda: os.rmdir(p))
    attempt(p, "unlink", lambda: os.unlink(p))
    common(p, st)
    # undo what was let through, so that one bug does not hide the next
    for undo in (os.unlink, os.rmdir):
        try:
            undo(n)
        except OSError:
            pass


def try_file(p, st):
    attempt(p, "open(O_WRONLY)", open_close(p, os.O_WRONLY))
    attempt(p, "open(O_RDWR)", open_close(p, os.O_RDWR))
    attempt(p, "open(O_WRONLY|O_APPEND)", open_close(p, os.O_WRONLY | os.O_APPEND))
    attempt(p, "open(O_WRONLY|O_CREAT)", open_close(p, os.O_WRONLY | os.O_CREAT))
    attempt(p, "open(O_WRONLY|O_TRUNC)", open_close(p, os.O_WRONLY | os.O_TRUNC))
    attempt(p, "open(O_RDONLY|O_TRUNC)", open_close(p, os.O_RDONLY | os.O_TRUNC))
    attempt(p, "write(own bytes)", write_back(p))
    attempt(p, "truncate(0)", lambda: os.truncate(p, 0))
    attempt(p, "fallocate(O_RDWR fd)", with_fd(p, os.O_RDWR, lambda fd: os.posix_fallocate(fd, 0, 4096)))
    attempt(p, "fallocate(O_RDONLY fd)", with_fd(p, os.O_RDONLY, lambda fd: os.posix_fallocate(fd, 0, 4096)))
    attempt(p, "mmap(MAP_SHARED, PROT_WRITE; O_RDWR fd)", with_fd(p, os.O_RDWR, shared_map))
    attempt(p, "mmap(MAP_SHARED, PROT_WRITE; O_RDONLY fd)", with_fd(p, os.O_RDONLY, shared_map))
    attempt(p, "mknod(new name)", lambda: os.mknod(p + NEW, 0o444 | stat.S_IFREG))
    attempt(p, "unlink", lambda: os.unlink(p))
    attempt(p, "link(to a new name)", lambda: os.link(p, p + NEW))
    attempt(p, "symlink(to a new name)", lambda: os.symlink(p, p + NEW))
    common(p, st)
    try:
        os.unlink(p + NEW)
    except OSError:
        pass


if mode == "tree":
    tree()
elif mode == "open":
    for p in paths:
        attempt(p, "open(O_RDONLY)", open_close(p, os.O_RDONLY))
else:
    for p in paths:
        st = os.lstat(p)
        (try_directory if stat.S_ISDIR(st.st_mode) else try_file)(p, st)
