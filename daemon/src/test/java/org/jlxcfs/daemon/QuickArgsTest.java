package org.jlxcfs.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The daemon's command line read without picocli gives the very options picocli gives, or is left to picocli. */
class QuickArgsTest {
    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "/var/lib/jlxcfs",
            "--keeper-socket /tmp/k/keeper.sock --no-remount /tmp/mnt",
            "--keeper-socket=/tmp/k/keeper.sock --no-keeper /tmp/mnt",
            "-d -f --threads 3 --replace --no-pin-workers /mnt",
            "--threads=0 --debug --foreground",
            "-u -l --no-cpu-quota --enable-cfs --disable-loadavg /x",
            "--disable-swap --enable-loadavg /x",
            "/x --no-remount"})
    void sameOptionsAsPicocli(String line) throws Exception {
        String[] args = line.isEmpty() ? new String[0] : line.split(" ");
        Main quick = QuickArgs.parse(args);
        assertNotNull(quick, "the quick path should take: " + line);
        Main picocli = new Main();
        new CommandLine(picocli).parseArgs(args);
        assertEquals(options(picocli), options(quick), line);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "--help", "--version", "show proc/meminfo", "keeper --socket /s", "restat", "mnt",
            "/a /b", "-d -d /x", "-d --debug /x", "--threads 010 /x", "--threads 0x10", "--threads -1", "--threads",
            "--threads 99999999999", "--keeper-socket", "--keeper-socket= /x", "--keeper-socket -d /x",
            "--no-remount=true /x", "-df /x", "--on-term handover /x", "--health-port 9 /x", "--", "-"})
    void leavesTheRestToPicocli(String line) {
        assertNull(QuickArgs.parse(line.split(" ")), line);
    }

    /** Every option's value, by field, through the mixins and groups: what the daemon reads. */
    private static List<String> options(Object o) throws IllegalAccessException {
        List<String> out = new ArrayList<>();
        for (Field f : o.getClass().getDeclaredFields()) {
            f.setAccessible(true);
            if (f.isAnnotationPresent(CommandLine.Option.class) || f.isAnnotationPresent(CommandLine.Parameters.class)) {
                out.add(f.getName() + "=" + f.get(o));
            } else if (f.isAnnotationPresent(CommandLine.Mixin.class) || f.isAnnotationPresent(CommandLine.ArgGroup.class)) {
                out.add(f.getName() + ":" + options(f.get(o)));
            }
        }
        return out;
    }
}
