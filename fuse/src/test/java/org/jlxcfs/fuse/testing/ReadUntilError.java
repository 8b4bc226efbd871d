package org.jlxcfs.fuse.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A reader process that opens, reads and closes a file in a loop until a read fails, then
 * prints "COUNT ERRNAME" (e.g. "1234 ENOTCONN") and exits 0: for checking that stopping a
 * daemon under load leaves no reader hung.
 */
public final class ReadUntilError {
    private ReadUntilError() {}

    private static final String SCRIPT = """
            import os, sys, errno
            n = 0
            while True:
                try:
                    fd = os.open(sys.argv[1], os.O_RDONLY); os.read(fd, 4096); os.close(fd); n += 1
                    if n == 1: open(sys.argv[2], 'w').close()
                except OSError as e:
                    print(n, errno.errorcode[e.errno]); sys.exit(0)
            """;

    /** Starts a reader of {@code file}; {@code readingFlag} is created once its first read succeeded. */
    public static Process start(Path file, Path readingFlag) throws IOException {
        return Run.start(Map.of(), "python3", "-c", SCRIPT, file.toString(), readingFlag.toString());
    }

    /** Waits until every reader has read once (python starts slowly on a loaded machine). */
    public static void awaitReading(List<Path> readingFlags) throws InterruptedException {
        for (Path flag : readingFlags) {
            for (int i = 0; i < 600 && !Files.exists(flag); i++) Thread.sleep(50);
        }
        Thread.sleep(500);
    }
}
