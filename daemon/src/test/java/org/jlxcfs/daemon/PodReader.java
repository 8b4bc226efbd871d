package org.jlxcfs.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * The application pod's reader: python3 in the pod reads the injected /proc and /sys files in a
 * loop at full speed (no sleeps), checks every value against the pod's own limits, and every
 * ~200 ms replaces a JSON file of counters in a hostPath directory. {@link #snapshot} waits for a
 * write made after it was called, so counts taken at a boundary include everything before it.
 */
final class PodReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * argv: COUNTERS_FILE MEMTOTAL_KB ONLINE CPUS. A failure is any exception (its errno name when
     * it has one); a wrong value is a read that succeeded with another machine's numbers: MemTotal
     * not the limit, online CPUs, processors of cpuinfo or cpuN lines of stat not the CPU limit,
     * an uptime longer than the reader has run (plus a minute), as the host's is.
     */
    static final String SCRIPT = """
            import errno, json, os, sys, time
            out, mem_kb, online, cpus = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
            FILES = ['/proc/meminfo', '/proc/cpuinfo', '/proc/stat', '/proc/uptime', '/sys/devices/system/cpu/online']
            def right(path, data):
                if path == '/proc/meminfo':
                    first = data.split('\\n', 1)[0].split()
                    return first[:1] == ['MemTotal:'] and first[1:2] == [mem_kb]
                if path == '/proc/cpuinfo':
                    return sum(1 for l in data.split('\\n') if l.startswith('processor')) == cpus
                if path == '/proc/stat':
                    return sum(1 for l in data.split('\\n') if l[:3] == 'cpu' and l[3:4].isdigit()) == cpus
                if path == '/proc/uptime':  # the pod's: it started just before this reader, unlike the host
                    return 0 <= float(data.split()[0]) <= time.time() - c['started'] + 60
                return data.strip() == online
            c = {'pid': os.getpid(), 'started': time.time(), 'reads': 0, 'failures': 0, 'wrong': 0, 'errors': {},
                 'first_wrong': '', 'last_error': '', 'longest': 0.0, 'seq': 0}
            def write():
                c['seq'] += 1; c['time'] = time.time()
                with open(out + '.tmp', 'w') as f: json.dump(c, f)
                os.replace(out + '.tmp', out)
            last_write = 0.0
            while True:
                for path in FILES:
                    t = time.monotonic()
                    try:
                        with open(path, 'rb') as f: data = f.read().decode()
                        ok = right(path, data)
                        if not ok:
                            c['wrong'] += 1
                            c['first_wrong'] = c['first_wrong'] or path + ': ' + data[:80].replace('\\n', '|')
                    except Exception as e:
                        name = errno.errorcode.get(getattr(e, 'errno', None) or 0, type(e).__name__)
                        c['failures'] += 1; c['errors'][name] = c['errors'].get(name, 0) + 1
                        c['last_error'] = path + ': ' + str(e)
                    c['reads'] += 1
                    now = time.monotonic(); c['longest'] = max(c['longest'], now - t)
                    if now - last_write >= 0.2:
                        write(); last_write = now
            """;

    /** The counters at one instant. {@code pid} and {@code started} tell one run of the reader from another. */
    record Counts(long pid, double started, long seq, long reads, long failures, long wrong, Map<String, Long> errors,
                  String firstWrong, String lastError, double longest) {
        /** What happened between {@code before} and this. */
        Phase since(Counts before, String name) {
            Map<String, Long> errs = new TreeMap<>();
            errors.forEach((k, v) -> {
                long d = v - before.errors.getOrDefault(k, 0L);
                if (d > 0) errs.put(k, d);
            });
            return new Phase(name, reads - before.reads, failures - before.failures, wrong - before.wrong, errs, longest);
        }
    }

    /** Counts of one phase of a test; {@code longest} is the reader's longest single read so far (seconds). */
    record Phase(String name, long reads, long failures, long wrong, Map<String, Long> errors, double longest) {
        @Override
        public String toString() {
            return String.format("%s: reads=%d failed=%d%s wrong=%d (longest single read so far %.2f s)", name, reads,
                    failures, errors.isEmpty() ? "" : " " + errors, wrong, longest);
        }
    }

    private final Path file;

    PodReader(Path file) {
        this.file = file;
    }

    /** The counters as last written, if the reader wrote any. */
    Counts read() throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            return null;
        }
        Map<String, Long> errors = new TreeMap<>();
        n.path("errors").properties().forEach(e -> errors.put(e.getKey(), e.getValue().asLong()));
        return new Counts(n.path("pid").asLong(), n.path("started").asDouble(), n.path("seq").asLong(),
                n.path("reads").asLong(), n.path("failures").asLong(), n.path("wrong").asLong(), errors,
                n.path("first_wrong").asText(), n.path("last_error").asText(), n.path("longest").asDouble());
    }

    /**
     * The counters of a write made after this call (so with every read before it); fails naming
     * {@code what} when the reader writes nothing new within {@code timeout} (it is stuck or gone).
     */
    Counts snapshot(Duration timeout, String what) throws Exception {
        Counts now = read();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Counts next = read();
            if (next != null && (now == null || next.seq() > now.seq() + 1 || next.pid() != now.pid())) return next;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the pod's reader wrote no counters within " + timeout + " " + what + "; last: " + now);
            }
            Thread.sleep(50);
        }
    }
}
