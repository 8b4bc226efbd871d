package org.jlxcfs.daemon;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.ContainerResolver;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.cgroup.CgroupLayout;
import org.jlxcfs.view.host.ProcessInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code jlxcfs show [--pid N] PATH}: what process N would read, rendered without FUSE. */
@Command(name = "show", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print what process N (default: this command itself) would read at PATH, without FUSE.")
final class ShowCommand implements Callable<Integer> {
    @Mixin
    ViewSettings view = new ViewSettings();

    @Option(names = "--pid", paramLabel = "N", description = "The reading process (host pid).")
    Integer pid;

    @Parameters(index = "0", paramLabel = "PATH", description = "A file of the tree, e.g. proc/meminfo or /proc/meminfo.")
    String path;

    /**
     * Every failure is one line naming its cause, exit 1: an unknown PATH, a pid that does not
     * exist or whose /proc entries cannot be read (not root, no CAP_SYS_PTRACE), a cgroup file
     * that cannot be read.
     */
    @Override
    public Integer call() {
        String wanted = path.replaceFirst("^/+", "");
        int reader = pid != null ? pid : (int) ProcessHandle.current().pid();
        String what = "pid " + reader + " reading " + wanted;
        CgroupLayout layout;
        try {
            layout = CgroupLayout.discover(view.procRoot, view.cgroupRoot);
        } catch (IOException | RuntimeException e) {
            return fail("cannot find the cgroup hierarchies: " + CliErrors.describe(e));
        }
        try (FileSet files = FileSet.create(view.host(), view.options())) {
            VirtualFile file = files.find(wanted).orElse(null);
            if (file == null) {
                return fail("'" + path + "' is not a file jlxcfs serves; it serves "
                        + files.files().stream().map(VirtualFile::path).collect(Collectors.joining(" ")));
            }
            Container container;
            try {
                container = new ContainerResolver(view.host(), layout).resolve(reader);
            } catch (ProcessInfo.GoneException e) {
                return fail("no process " + reader + (reader == ProcessHandle.current().pid() ? "" : " (--pid)"));
            } catch (IOException | RuntimeException e) {
                return fail("cannot find the container of pid " + reader + ": " + CliErrors.describe(e)
                        + (e instanceof java.nio.file.AccessDeniedException ? " (needs root with ptrace access to that process)" : ""));
            }
            byte[] bytes;
            try {
                bytes = file.render(container);
            } catch (IOException | RuntimeException e) {
                return fail("cannot render " + what + ": " + CliErrors.describe(e));
            }
            System.out.write(bytes, 0, bytes.length);
            System.out.flush();
            return 0;
        }
    }

    private static int fail(String line) {
        System.err.println("jlxcfs show: " + line);
        return 1;
    }
}
