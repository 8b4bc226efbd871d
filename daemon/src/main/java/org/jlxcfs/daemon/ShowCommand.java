package org.jlxcfs.daemon;

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

    @Override
    public Integer call() throws IOException {
        String wanted = path.replaceFirst("^/+", "");
        CgroupLayout layout = CgroupLayout.discover(view.procRoot, view.cgroupRoot);
        try (FileSet files = FileSet.create(view.host(), view.options())) {
            VirtualFile file = files.find(wanted).orElse(null);
            if (file == null) {
                System.err.println("jlxcfs show: no such file '" + path + "'; the tree has: "
                        + files.files().stream().map(VirtualFile::path).collect(Collectors.joining(" ")));
                return 2;
            }
            int reader = pid != null ? pid : (int) ProcessHandle.current().pid();
            try {
                byte[] bytes = file.render(new ContainerResolver(view.host(), layout).resolve(reader));
                System.out.write(bytes);
                System.out.flush();
                return 0;
            } catch (ProcessInfo.GoneException e) {
                System.err.println("jlxcfs show: " + e.getMessage());
                return 1;
            }
        }
    }
}
