package org.jlxcfs.webhook.admission;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the webhook injects and where it refuses to.
 *
 * @param files        the files (and directories) to inject, relative to the jlxcfs mount, e.g.
 *                     {@code proc/meminfo}; each is mounted at the same path from the container's root
 * @param sourceDir    the jlxcfs mount point on the nodes ({@code /var/lib/jlxcfs})
 * @param ownNamespace the webhook's own namespace, never injected (its pods could not start without it)
 * @param requireNodeLabel also give injected pods the node selector {@code jlxcfs.io/serving: "true"} at creation, so
 *                     they are scheduled only on nodes where jlxcfs serves ({@code --require-node-label})
 */
public record InjectionConfig(List<String> files, Path sourceDir, String ownNamespace, boolean requireNodeLabel) {
    /** The files injected when none are configured: the ones every runtime accepts over its own. */
    public static final List<String> DEFAULT_FILES = List.of(
            "proc/cpuinfo", "proc/meminfo", "proc/stat", "proc/uptime", "proc/loadavg", "proc/diskstats", "proc/swaps",
            "sys/devices/system/cpu/online");
    public static final Path DEFAULT_SOURCE_DIR = Path.of("/var/lib/jlxcfs");

    /** Entries that are directories on the jlxcfs mount: their hostPath volume has {@code type: Directory}. */
    public static final Set<String> DIRECTORY_ENTRIES = Set.of("sys/devices/system/cpu");

    /** The {@code --files} word that stands for {@link #DEFAULT_FILES}. */
    public static final String DEFAULT_WORD = "default";

    private static final String PRESSURE_GLOB = "proc/pressure/*";
    private static final List<String> PRESSURE_FILES = List.of("proc/pressure/cpu", "proc/pressure/memory", "proc/pressure/io");
    /** Characters a path segment may hold: enough for /proc and /sys names, nothing a mount spec could misread. */
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._+@-]+");

    /** Without the node selector ({@code --require-node-label} off, the default). */
    public InjectionConfig(List<String> files, Path sourceDir, String ownNamespace) {
        this(files, sourceDir, ownNamespace, false);
    }

    /** This configuration with {@code --require-node-label} on or off. */
    public InjectionConfig withRequireNodeLabel(boolean require) {
        return new InjectionConfig(files, sourceDir, ownNamespace, require);
    }

    public InjectionConfig {
        if (files == null || files.isEmpty()) {
            throw new IllegalArgumentException("--files: the list of files to inject is empty");
        }
        files = List.copyOf(files);
        Set<String> seen = new LinkedHashSet<>();
        Map<String, String> volumeNames = new HashMap<>();
        for (String entry : files) {
            validateEntry(entry);
            if (!seen.add(entry)) {
                throw new IllegalArgumentException("--files: entry '" + entry + "' is listed twice");
            }
            String clash = volumeNames.put(InjectedFile.volumeNameOf(entry), entry);
            if (clash != null) {
                throw new IllegalArgumentException("--files: entries '" + clash + "' and '" + entry
                        + "' would get the same volume name " + InjectedFile.volumeNameOf(entry));
            }
        }
        for (String entry : files) {
            for (String directory : files) {
                if (DIRECTORY_ENTRIES.contains(directory) && entry.startsWith(directory + "/")) {
                    throw new IllegalArgumentException("--files: entry '" + entry + "' lies inside the directory entry '"
                            + directory + "', which already mounts it");
                }
            }
        }
        if (sourceDir == null || !sourceDir.isAbsolute()) {
            throw new IllegalArgumentException("--source-dir: '" + sourceDir + "' is not an absolute path");
        }
        sourceDir = sourceDir.normalize();
        if (ownNamespace == null || ownNamespace.isBlank()) {
            throw new IllegalArgumentException("--namespace: the webhook's own namespace is not set");
        }
    }

    /** The configuration with the default files and source directory. */
    public static InjectionConfig defaults(String ownNamespace) {
        return new InjectionConfig(DEFAULT_FILES, DEFAULT_SOURCE_DIR, ownNamespace);
    }

    /**
     * The files of a {@code --files} option, comma-separated ({@code default,proc/slabinfo}); see {@link #parseFiles(List)}.
     */
    public static List<String> parseFiles(String commaSeparated) {
        if (commaSeparated == null) {
            return DEFAULT_FILES;
        }
        return parseFiles(List.of(commaSeparated.split(",", -1)));
    }

    /**
     * The files of a {@code --files} option, already split at commas: {@code null} or {@code default} stands for
     * {@link #DEFAULT_FILES}, {@code proc/pressure/*} for its cpu, memory and io files. A file inside a directory entry
     * (such as {@code sys/devices/system/cpu/online} next to {@code sys/devices/system/cpu}) is left out: the directory
     * mounts it. Entries are relative to the jlxcfs mount; an absolute path, {@code .} or {@code ..}, an empty entry or
     * one listed twice is refused with an {@link IllegalArgumentException} naming it.
     */
    public static List<String> parseFiles(List<String> entries) {
        if (entries == null) {
            return DEFAULT_FILES;
        }
        List<String> expanded = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String raw : entries) {
            String entry = raw == null ? "" : raw.strip();
            List<String> items = switch (entry) {
                case DEFAULT_WORD -> DEFAULT_FILES;
                case PRESSURE_GLOB -> PRESSURE_FILES;
                default -> {
                    validateEntry(entry);
                    yield List.of(entry);
                }
            };
            for (String item : items) {
                if (!seen.add(item)) {
                    throw new IllegalArgumentException("--files: entry '" + item + "' is listed twice"
                            + (items.size() > 1 ? " (through '" + entry + "')" : ""));
                }
                expanded.add(item);
            }
        }
        if (expanded.isEmpty()) {
            throw new IllegalArgumentException("--files: the list of files to inject is empty");
        }
        // a directory entry mounts everything below it; a second mount inside it would only shadow the same file
        List<String> kept = new ArrayList<>();
        for (String item : expanded) {
            boolean covered = expanded.stream().anyMatch(d -> DIRECTORY_ENTRIES.contains(d) && item.startsWith(d + "/"));
            if (!covered) {
                kept.add(item);
            }
        }
        return List.copyOf(kept);
    }

    private static void validateEntry(String entry) {
        if (entry == null || entry.isEmpty()) {
            throw new IllegalArgumentException("--files: an entry is empty");
        }
        if (entry.startsWith("/")) {
            throw new IllegalArgumentException("--files: entry '" + entry
                    + "' is absolute; entries are relative to the jlxcfs mount, e.g. proc/meminfo");
        }
        if (entry.contains("*")) {
            throw new IllegalArgumentException("--files: entry '" + entry + "': only " + PRESSURE_GLOB + " may use '*'");
        }
        for (String segment : entry.split("/", -1)) {
            if (segment.isEmpty()) {
                throw new IllegalArgumentException("--files: entry '" + entry + "' has an empty path segment");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("--files: entry '" + entry + "' may not contain '" + segment + "'");
            }
            if (!SEGMENT.matcher(segment).matches()) {
                throw new IllegalArgumentException("--files: entry '" + entry
                        + "' holds a character outside letters, digits and . _ + @ -");
            }
        }
        String volume = InjectedFile.volumeNameOf(entry);
        if (!InjectedFile.isDnsLabel(volume)) {
            throw new IllegalArgumentException("--files: entry '" + entry + "' would get the volume name '" + volume
                    + "', not a valid Kubernetes name (at most 63 lowercase letters, digits and '-')");
        }
    }

    /** The configured files with their volume names, host paths and mount paths. */
    public List<InjectedFile> injectedFiles() {
        String source = sourceDir.toString();
        String prefix = source.endsWith("/") ? source : source + "/";
        return files.stream()
                .map(f -> new InjectedFile(f, DIRECTORY_ENTRIES.contains(f), InjectedFile.volumeNameOf(f), prefix + f, "/" + f))
                .toList();
    }
}
