package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The container: 0.5 CPU, busy at its quota. Its /proc/uptime idle went 1.48 → 1.46 →
 * 1.43 within seconds while /proc/stat's idle held; both now come from one mark per container.
 */
@RequiresRootAndFuse
class UptimeIdleLiveTest {
    @Test
    void uptimeIdleNeverGoesBackwardsAndAgreesWithStatsIdle() throws Exception {
        Path tmp = Files.createTempDirectory("jlxcfs-uptime");
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try (DaemonProcess daemon = DaemonProcess.start(tmp.resolve("mnt"), tmp.resolve("daemon.log"))
                .awaitServing("proc/uptime");
             LiveContainer c = new LiveContainer(0, 0.5, null).start(tmp.resolve("mnt"))) {
            c.spawn("while :; do :; done");
            Thread.sleep(1000);
            List<Long> uptimeIdle = new ArrayList<>(), statIdle = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String[] out = c.exec("cat /proc/uptime; head -1 /proc/stat").requireSuccess().out().split("\n");
                String idle = out[0].split(" ")[1];
                uptimeIdle.add(Long.parseLong(idle.replace(".", "")));
                statIdle.add(Long.parseLong(out[1].split(" +")[4]));
                Thread.sleep(100);
            }
            System.out.println("uptime idle (1/100 s): " + uptimeIdle + "\nstat idle (ticks):     " + statIdle);
            assertThat(uptimeIdle).as("uptime idle").isSorted();
            assertThat(statIdle).as("stat idle").isSorted();
            for (int i = 0; i < uptimeIdle.size(); i++) {
                // stat is read just after uptime: the same figure, or a later (never lower) one
                assertThat(statIdle.get(i)).as("read " + i).isGreaterThanOrEqualTo(uptimeIdle.get(i));
                if (i + 1 < uptimeIdle.size()) assertThat(statIdle.get(i)).isLessThanOrEqualTo(uptimeIdle.get(i + 1));
            }
            daemon.signal("TERM");
            daemon.awaitExit(Duration.ofSeconds(20));
        } finally {
            Run.deleteTree(tmp);
        }
    }
}
