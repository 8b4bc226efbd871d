package org.jlxcfs.fuse;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** The start time "first request answered N ms after exec" falls back to, when no launcher stamped the exec. */
class ProcessStartTest {
    @Test
    void processStartIsJustBeforeTheJvmsOwn() {
        long start = FuseSession.processStartNanos() / 1_000_000L;
        long jvm = ManagementFactory.getRuntimeMXBean().getStartTime();
        // exec, then the JVM's creation: tens of ms; the JDK's startInstant (btime, whole seconds)
        // would be up to a second earlier
        assertThat(jvm - start).as("JVM start %d ms after the process's", jvm - start).isBetween(-20L, 500L);
    }
}
