# The parts of systemd a notify service with an fd store sees, for tests: $NOTIFY_SOCKET
# (READY=1, FDSTORE=1 / FDSTOREREMOVE=1 with FDNAME=), and $LISTEN_FDS / $LISTEN_FDNAMES /
# $LISTEN_PID for the next process of the unit. Driven line by line on stdin:
#   start | wait-ready | kill SIGNAL | store | flush | quit      (answers one line each)
# usage: fake-systemd.py NOTIFY_SOCKET_PATH COMMAND [ARG...]
import os, socket, sys, select, signal

path, command = sys.argv[1], sys.argv[2:]
if os.path.exists(path):
    os.unlink(path)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
store = {}          # FDNAME -> [fds], in arrival order
pid, ready = None, False


def receive(timeout):
    global ready
    r, _, _ = select.select([sock], [], [], timeout)
    if not r:
        return False
    msg, fds, _, _ = socket.recv_fds(sock, 65536, 64)
    fields = dict(l.split('=', 1) for l in msg.decode().splitlines() if '=' in l)
    name = fields.get('FDNAME', 'stored')
    if fields.get('FDSTOREREMOVE') == '1':
        for fd in store.pop(name, []):
            os.close(fd)
    if fields.get('FDSTORE') == '1':
        store.setdefault(name, []).extend(fds)
    else:
        for fd in fds:
            os.close(fd)
    if fields.get('READY') == '1':
        ready = True
    return True


def start():
    global pid, ready
    ready = False
    names, fds = [], []
    for name, lst in store.items():
        for fd in lst:
            names.append(name)
            fds.append(fd)
    child = os.fork()
    if child == 0:
        high = [os.dup(fd) for fd in fds]
        for i, fd in enumerate(high):
            os.dup2(fd, 3 + i, inheritable=True)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        if fds:
            env.update(LISTEN_FDS=str(len(fds)), LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES=':'.join(names))
        os.closerange(3 + len(fds), 1024)
        os.execvpe(command[0], command, env)
    pid = child
    return 'started %d' % pid


for line in sys.stdin:
    cmd = line.split()
    if not cmd:
        continue
    if cmd[0] == 'start':
        out = start()
    elif cmd[0] == 'wait-ready':
        for _ in range(600):
            if ready:
                break
            receive(0.1)
        out = 'ready' if ready else 'not ready'
    elif cmd[0] == 'kill':
        while receive(0):
            pass
        os.kill(pid, int(cmd[1]))
        _, status = os.waitpid(pid, 0)
        while receive(0.05):
            pass
        out = 'exited %d' % status
    elif cmd[0] == 'store':
        while receive(0):
            pass
        out = 'store ' + ' '.join('%s=%d' % (k, len(v)) for k, v in store.items())
    elif cmd[0] == 'flush':
        for lst in store.values():
            for fd in lst:
                os.close(fd)
        store.clear()
        out = 'flushed'
    elif cmd[0] == 'quit':
        break
    else:
        out = 'unknown ' + cmd[0]
    print(out, flush=True)
