package org.jlxcfs.daemon;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.PrintWriter;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

/**
 * Runs test classes outside Maven, for the cgroup v2 VM: {@code VmTestMain CLASS[#METHOD]...}. Prints the
 * failures and a closing "N passed, N failed, N skipped" line; exits 1 if anything failed.
 */
public final class VmTestMain {
    private VmTestMain() {}

    public static void main(String[] args) throws ClassNotFoundException {
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
        for (String c : args) {
            int hash = c.indexOf('#');
            request.selectors(hash < 0 ? selectClass(Class.forName(c)) : selectMethod(Class.forName(c.substring(0, hash)), c.substring(hash + 1)));
        }
        LauncherDiscoveryRequest built = request.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(built, summary);
        TestExecutionSummary s = summary.getSummary();
        s.printFailuresTo(new PrintWriter(System.out, true), 30);
        System.out.println(s.getTestsSucceededCount() + " passed, " + s.getTestsFailedCount() + " failed, "
                + (s.getTestsSkippedCount() + s.getTestsAbortedCount()) + " skipped");
        System.exit(s.getTestsFailedCount() > 0 || s.getTestsSucceededCount() == 0 ? 1 : 0);
    }
}
