package org.jlxcfs.daemon.aot;

/**
 * Links the libc downcalls on a second thread while the main one parses the command line. Their
 * method handles (about 370 classes the FFM linker generates at every start: the AOT cache cannot
 * hold them) took a third of a daemon's exec-to-first-answer when the first keeper call made them;
 * the command line (picocli: Java 5 classes, which the cache cannot hold either) takes about as
 * long, so on two CPUs both now fit in the time of one.
 */
public final class NativeWarmup {
    private static final String[] CLASSES = {"org.jlxcfs.fuse.Libc", "org.jlxcfs.fuse.UnixSocket"};

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
