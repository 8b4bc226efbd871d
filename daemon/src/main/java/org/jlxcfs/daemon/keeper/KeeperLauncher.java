package org.jlxcfs.daemon.keeper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts a keeper process, detached from the daemon (its own session), when none answers. */
public final class KeeperLauncher {
    private static final System.Logger LOG = System.getLogger("jlxcfs");

    private KeeperLauncher() {}

    /**
     * A keeper run by something else (its own container or pod): waits up to {@code wait} for it
     * to answer, and starts none, so that a daemon in a pod never leaves a keeper of its own behind
     * in its container, where the kubelet would kill it with the pod.
     */
    public static KeeperClient awaitRunning(Path socket, java.time.Duration wait) throws IOException, InterruptedException {
        KeeperClient client = new KeeperClient(socket);
        long deadline = System.nanoTime() + wait.toNanos();
        boolean logged = false;
        while (!client.available()) {
            if (System.nanoTime() - deadline >= 0) {
                throw new IOException("no keeper answered on " + socket + " within " + wait.toSeconds() + " s (--keeper-wait); "
                        + "start one there (jlxcfs keeper --socket " + socket + ")");
            }
            if (!logged) {
                LOG.log(System.Logger.Level.INFO, "waiting up to " + wait.toSeconds() + " s for a keeper on " + socket);
                logged = true;
            }
            Thread.sleep(100);
        }
        return client;
    }

    public static KeeperClient ensureRunning(Path socket) throws IOException, InterruptedException {
        KeeperClient client = new KeeperClient(socket);
        if (client.available()) return client;
        Path dir = socket.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>(List.of("setsid", "-f",
                ProcessHandle.current().info().command().orElse("java"),
                // the same small footprint as bin/jlxcfs's keeper line
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xms4m", "-Xmx32m", "-Xmn1m",
                "-XX:MaxMetaspaceSize=64m", "-Xss256k", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
                "-XX:ReservedCodeCacheSize=8m", "-XX:TrimNativeHeapInterval=1000", "-XX:-UsePerfData",
                "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"), "org.jlxcfs.daemon.Main",
                "keeper", "--socket", socket.toString(), "--exit-when-idle", "30"));
        Path log = dir.resolve("keeper.log");
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start().waitFor();
        // a JVM may start slowly (an emulated machine, a loaded node): wait up to a minute
        for (int i = 0; i < 1200; i++) {
            if (client.available()) {
                LOG.log(System.Logger.Level.INFO, "started a keeper on " + socket + " (log: " + log + ")");
                return client;
            }
            Thread.sleep(50);
        }
        throw new IOException("the keeper did not come up on " + socket + " within 60 s; see " + log);
    }
}
