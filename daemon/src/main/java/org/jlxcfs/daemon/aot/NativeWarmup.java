package org.jlxcfs.daemon.aot;

/**
 * Links the system-call downcall on a second thread while the main one reads the command line and
 * the cgroups. Its method handle (about 85 classes the FFM linker generates at every start, which
 * the AOT cache cannot hold; one shape for every call since {@code Syscall}, 320 before) is the
 * first thing the daemon's own work waits for (the PSI triggers' epoll, the keeper's socket).
 */
public final class NativeWarmup {
    private static final String[] CLASSES = {"org.jlxcfs.sys.Syscall", "org.jlxcfs.fuse.Libc", "org.jlxcfs.fuse.UnixSocket"};

    private NativeWarmup() {}

    /**
     * Starts the warm-up and returns at once. A class whose initialisation fails here fails the
     * same way, with its own message, where the daemon first uses it: nothing is reported twice.
     */
    public static void start() {
        Thread.ofPlatform().daemon().name("native-warmup").start(() -> {
            ClassLoader loader = NativeWarmup.class.getClassLoader();
            for (String c : CLASSES) {
                try {
                    Class.forName(c, true, loader);
                } catch (ClassNotFoundException | LinkageError e) {
                    return;
                }
            }
        });
    }
}
