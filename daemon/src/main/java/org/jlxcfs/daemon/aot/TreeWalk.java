package org.jlxcfs.daemon.aot;

import org.jlxcfs.fuse.FuseConfig;
import org.jlxcfs.fuse.RequestHandler;
import org.jlxcfs.fuse.tree.VirtualTree;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What a mounted tree sees from its readers, played in-process for the JDK's AOT training run:
 * INIT, then every directory listed and every file looked up, stat'ed and read (as `ls -R`
 * and `cat` would), then the files read over and over, so that the JVM records which classes the
 * daemon loads and links and which methods are hot. Nothing is mounted and nothing is written.
 */
public final class TreeWalk {
    /** Enough to list the sysfs mirror of a large machine without walking it for minutes. */
    private static final int MAX_NODES = 4000;

    private final RequestDriver driver;
    /** A file with the directory it was found in (a reader looks it up there again before each open). */
    private record Found(long parent, RequestDriver.Node file) {}

    private final List<Found> files = new ArrayList<>();
    private int nodes;

    public TreeWalk(VirtualTree tree, FuseConfig config, int readerPid) {
        this.driver = new RequestDriver(new RequestHandler(tree, config, new AtomicReference<>(), () -> { }), readerPid);
    }

    /** INIT and one walk of the whole tree; returns how many files it read. */
    public int walk() {
        driver.init();
        driver.statfs();
        visit(new RequestDriver.Node(1, RequestDriver.S_IFDIR, ""), 0);
        return files.size();
    }

    private void visit(RequestDriver.Node dir, int depth) {
        if (depth > 8) return;
        driver.getattr(dir.id());
        driver.access(dir.id());
        for (RequestDriver.Node child : driver.list(dir.id())) {
            if (++nodes > MAX_NODES) return;
            RequestDriver.Node looked = driver.lookup(dir.id(), child.name());
            if (looked == null) continue;
            driver.getattr(looked.id());
            if (looked.isDir()) {
                visit(looked, depth + 1);
            } else if (looked.isFile()) {
                driver.readFile(looked.id());
                if (depth <= 1) files.add(new Found(dir.id(), looked));   // proc/*: what containers read all the time
            }
        }
    }

    /** Reads the top-level files (proc/*) {@code rounds} times each; returns the bytes read. */
    public long readAgain(int rounds) {
        long bytes = 0;
        for (int r = 0; r < rounds; r++) {
            for (Found f : files) {
                driver.lookup(f.parent(), f.file().name());
                bytes += driver.readFile(f.file().id());
            }
        }
        return bytes;
    }
}
