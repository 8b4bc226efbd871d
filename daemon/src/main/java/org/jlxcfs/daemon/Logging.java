package org.jlxcfs.daemon;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** One line per event on stderr ("time LEVEL logger: message"), readable in journald and kubectl logs. */
final class Logging {
    private Logging() {}

    static void configure(Level level) {
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) root.removeHandler(h);
        ConsoleHandler handler = new ConsoleHandler();
        handler.setLevel(level);
        handler.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                StringBuilder sb = new StringBuilder(128)
                        .append(Instant.ofEpochMilli(r.getMillis()).truncatedTo(ChronoUnit.MILLIS)).append(' ')
                        .append(r.getLevel() == Level.SEVERE ? "ERROR" : r.getLevel()).append(' ')
                        .append(r.getLoggerName()).append(": ").append(formatMessage(r)).append('\n');
                if (r.getThrown() != null) {
                    StringWriter sw = new StringWriter();
                    r.getThrown().printStackTrace(new PrintWriter(sw));
                    sb.append(sw);
                }
                return sb.toString();
            }
        });
        root.addHandler(handler);
        root.setLevel(level);
    }
}
