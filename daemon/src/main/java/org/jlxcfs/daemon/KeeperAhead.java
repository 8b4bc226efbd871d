package org.jlxcfs.daemon;

import org.jlxcfs.daemon.keeper.KeeperClient;
import org.jlxcfs.fuse.MountTable;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The keeper's GET for our mount point, asked on a second thread as soon as the command line is
 * read, while the main thread discovers the cgroups and builds the tree: a restarted daemon's
 * readers no longer wait for the keeper's answer (another process to wake up) and the mount table
 * after the tree. A GET changes nothing in the keeper (it keeps its own fds), so an answer nobody
 * takes costs nothing but the fds, which {@link #discard} closes. Whatever fails here is asked
 * again the usual way (and reported there), so the answer is never more than a head start.
 */
final class KeeperAhead {
    private final Path socket;
    private final Path mount;
    private final Thread thread;
    /** Set by the thread, read after {@link Thread#join}: null when the GET failed. */
    private Optional<KeeperClient.Session> held;
    private boolean mounted;

    private KeeperAhead(Path socket, Path mount) {
        this.socket = socket;
        this.mount = mount;
        this.thread = Thread.ofPlatform().daemon().name("keeper-ahead").unstarted(this::ask);
    }

    static KeeperAhead start(Path socket, Path mount) {
        KeeperAhead a = new KeeperAhead(socket, mount);
        a.thread.start();
        return a;
    }

    private void ask() {
        try {
            Optional<KeeperClient.Session> h = new KeeperClient(socket).get(mount);
            if (h.isPresent()) mounted = MountTable.at(mount).filter(m -> m.fsType().equals("fuse.jlxcfs")).isPresent();
            held = h;
        } catch (IOException | RuntimeException e) {
            // no keeper yet, or a bad answer: the main thread asks again and says what went wrong
        }
    }

    /** The keeper's answer, waited for; null when it must be asked again (the GET failed). */
    Optional<KeeperClient.Session> held() throws InterruptedException {
        thread.join();
        return held;
    }

    /** Whether a jlxcfs mount was at the mount point when the keeper held a connection for it. */
    boolean mounted() throws InterruptedException {
        thread.join();
        return mounted;
    }

    /** Closes the fds of an answer nobody takes. */
    void discard() throws InterruptedException {
        Optional<KeeperClient.Session> h = held();
        if (h != null) h.ifPresent(KeeperClient.Session::closeAll);
        held = null;
    }
}
