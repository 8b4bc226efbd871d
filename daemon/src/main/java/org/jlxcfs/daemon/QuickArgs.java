package org.jlxcfs.daemon;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The daemon's everyday command line (flags, {@code --keeper-socket}, {@code --threads}, an
 * absolute mount point) read without picocli. Picocli's classes are Java 5 bytecode, which the
 * AOT cache cannot hold, and its reflection over the options made up a third of a restarted
 * daemon's time to its first answer, all of it a stall for the readers. Anything else (help,
 * subcommands, another option, a repeated one, a bad number, a relative mount point) goes to
 * picocli, which also gives every error message: this only ever accepts what picocli accepts, to
 * the same fields (QuickArgsTest compares both on the same command lines).
 */
final class QuickArgs {
    private QuickArgs() {}

    /** The daemon {@code args} describe, or null when picocli must parse them. */
    static Main parse(String... args) {
        Main m = new Main();
        Set<String> seen = new HashSet<>();
        boolean mountPoint = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("-")) {
                // a relative one may be a mistyped subcommand: picocli's refusal names it
                if (mountPoint || !a.startsWith("/")) return null;
                m.mountPoint = Path.of(a);
                mountPoint = true;
                continue;
            }
            int eq = a.indexOf('=');
            String name = eq > 0 && a.startsWith("--") ? a.substring(0, eq) : a;
            // picocli refuses a single-value option given twice; and "-d" and "--debug" are one option
            if (!seen.add(canonical(name))) return null;
            if (eq > 0 && !name.equals("--keeper-socket") && !name.equals("--threads")) return null;
            String value = null;
            if (name.equals("--keeper-socket") || name.equals("--threads")) {
                if (eq > 0) value = a.substring(eq + 1);
                else if (i + 1 < args.length && !args[i + 1].startsWith("-")) value = args[++i];
                if (value == null || value.isEmpty()) return null;
            }
            switch (name) {
                case "--keeper-socket" -> m.restarts.keeperSocket = Path.of(value);
                case "--threads" -> {
                    // plain decimal only: picocli reads "010" or "0x10" its own way
                    if (!value.matches("0|[1-9][0-9]{0,8}")) return null;
                    m.threads = Integer.parseInt(value);
                }
                case "--no-pin-workers" -> m.noPinWorkers = true;
                case "--replace" -> m.replace = true;
                case "-f", "--foreground" -> m.foreground = true;
                case "-d", "--debug" -> m.debug = true;
                case "--no-remount" -> m.restarts.noRemount = true;
                case "--no-keeper" -> m.restarts.noKeeper = true;
                case "-u", "--disable-swap" -> m.view.disableSwap = true;
                case "--no-cpu-quota" -> m.view.noCpuQuota = true;
                case "--enable-cfs" -> m.view.enableCfs = true;
                case "--disable-loadavg" -> m.view.disableLoadavg = true;
                case "-l", "--enable-loadavg" -> m.view.enableLoadavg = true;
                default -> {
                    return null;
                }
            }
        }
        return m;
    }

    private static String canonical(String name) {
        return switch (name) {
            case "-f" -> "--foreground";
            case "-d" -> "--debug";
            case "-u" -> "--disable-swap";
            case "-l" -> "--enable-loadavg";
            default -> name;
        };
    }
}
