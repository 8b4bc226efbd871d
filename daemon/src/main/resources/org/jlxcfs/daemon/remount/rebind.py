# Re-binds fresh jlxcfs files over stale ones inside one container's mount namespace.
# Run by jlxcfs's remount agent as: python3 rebind.py PID SOURCE TARGET [SOURCE TARGET ...]
# (a single-threaded helper: the kernel refuses setns into a mount namespace to a JVM).
# Each SOURCE is cloned with open_tree() while still in the host's mount namespace; after
# setns() into the container's, the stale mount at TARGET is detached and the clone attached
# there with move_mount(). Nothing from the container's filesystem is executed.
# The container controls its own paths: a TARGET is detached only if it is still a dead FUSE
# mount when the helper gets there (statfs fails with ENOTCONN/ECONNABORTED), and the final
# component is never followed as a symlink, so a path swapped in the meantime is left alone.
import ctypes, errno, os, sys

SYS_OPEN_TREE, SYS_MOVE_MOUNT = 428, 429          # the same on every architecture
OPEN_TREE_CLONE, OPEN_TREE_CLOEXEC, AT_SYMLINK_NOFOLLOW = 1, 0o2000000, 0x100
AT_FDCWD, MOVE_MOUNT_F_EMPTY_PATH = -100, 0x4
CLONE_NEWNS, MNT_DETACH, UMOUNT_NOFOLLOW = 0x20000, 2, 8

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def dead(path):
    buf = ctypes.create_string_buffer(256)  # struct statfs is 120 bytes on 64-bit Linux
    if libc.statfs(path.encode(), buf) == 0:
        return False
    return ctypes.get_errno() in (errno.ENOTCONN, errno.ECONNABORTED)


def fail(what):
    err = ctypes.get_errno()
    return '%s: %s' % (what, os.strerror(err))


pid, pairs = int(sys.argv[1]), sys.argv[2:]
trees = []
for i in range(0, len(pairs), 2):
    src, dst = pairs[i], pairs[i + 1]
    fd = libc.syscall(ctypes.c_long(SYS_OPEN_TREE), ctypes.c_int(AT_FDCWD), src.encode(),
                      ctypes.c_uint(OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW))
    if fd < 0:
        print('FAILED %s <- %s %s' % (dst, src, fail('open_tree')))
    else:
        trees.append((fd, src, dst))

ns = os.open('/proc/%d/ns/mnt' % pid, os.O_RDONLY | os.O_CLOEXEC)
if libc.setns(ns, CLONE_NEWNS) != 0:
    for _, src, dst in trees:
        print('FAILED %s <- %s %s' % (dst, src, fail('setns')))
    sys.exit(1)

status = 0
for fd, src, dst in trees:
    if not dead(dst):
        print('FAILED %s <- %s no longer a dead mount there; left alone' % (dst, src))
        status = 1
        continue
    libc.umount2(dst.encode(), MNT_DETACH | UMOUNT_NOFOLLOW)  # if that fails, the fresh file goes on top
    r = libc.syscall(ctypes.c_long(SYS_MOVE_MOUNT), ctypes.c_int(fd), b'', ctypes.c_int(AT_FDCWD), dst.encode(),
                     ctypes.c_uint(MOVE_MOUNT_F_EMPTY_PATH))
    if r != 0:
        print('FAILED %s <- %s %s' % (dst, src, fail('move_mount')))
        status = 1
    else:
        print('FIXED %s <- %s' % (dst, src))
sys.exit(status)
