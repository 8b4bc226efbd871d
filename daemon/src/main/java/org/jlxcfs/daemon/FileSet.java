package org.jlxcfs.daemon;

import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.files.CpuListFile;
import org.jlxcfs.view.files.CpuTimes;
import org.jlxcfs.view.files.CpuinfoFile;
import org.jlxcfs.view.files.DiskstatsFile;
import org.jlxcfs.view.files.LoadavgFile;
import org.jlxcfs.view.files.LoadavgSampler;
import org.jlxcfs.view.files.MeminfoFile;
import org.jlxcfs.view.files.PressureFile;
import org.jlxcfs.view.files.SlabinfoFile;
import org.jlxcfs.view.files.StatFile;
import org.jlxcfs.view.files.SwapsFile;
import org.jlxcfs.view.files.UptimeFile;
import org.jlxcfs.view.host.Host;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Every file of the tree (LXCFS's layout) and the loadavg sampler they share. */
final class FileSet implements AutoCloseable {
    private final List<VirtualFile> files;
    private final LoadavgSampler sampler;

    private FileSet(List<VirtualFile> files, LoadavgSampler sampler) {
        this.files = files;
        this.sampler = sampler;
    }

    static FileSet create(Host host, ViewOptions options) {
        LoadavgSampler sampler = new LoadavgSampler(host);
        // one owner of the idle figure, so that stat's idle column and uptime's idle agree
        CpuTimes times = new CpuTimes(host, options);
        List<VirtualFile> files = new ArrayList<>(List.of(
                new MeminfoFile(host, options),
                new CpuinfoFile(host, options),
                new StatFile(host, times),
                new UptimeFile(host, times),
                new LoadavgFile(host, options, sampler),
                new DiskstatsFile(host),
                new SwapsFile(host, options),
                new SlabinfoFile(host)));
        for (String resource : List.of("cpu", "memory", "io")) files.add(new PressureFile(host, resource));
        for (CpuListFile.Kind kind : CpuListFile.Kind.values()) files.add(new CpuListFile(host, options, kind));
        return new FileSet(List.copyOf(files), sampler);
    }

    List<VirtualFile> files() {
        return files;
    }

    Optional<VirtualFile> find(String path) {
        return files.stream().filter(f -> f.path().equals(path)).findFirst();
    }

    /** Starts the background work (the loadavg sampler). */
    void start() {
        sampler.start();
    }

    @Override
    public void close() {
        sampler.close();
    }
}
