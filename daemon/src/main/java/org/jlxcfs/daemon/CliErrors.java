package org.jlxcfs.daemon;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Errors a user can cause at the command line, each as one line that names its cause: a stack
 * trace or a page of usage tells an admin less than "'restat' is not a command".
 */
final class CliErrors {
    private CliErrors() {}

    /** Bad options and arguments: picocli's own message, the short synopsis and where to read more, on one line. */
    static void install(CommandLine cl) {
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine c = e.getCommandLine();
            String name = c.getCommandSpec().qualifiedName();
            StringBuilder line = new StringBuilder(name).append(": ").append(oneLine(e.getMessage()));
            if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
                line.append("; did you mean ").append(String.join(" or ", u.getSuggestions().stream()
                        .limit(2).map(s -> "'" + s + "'").toList())).append('?');
            }
            String usage = new CommandLine.Help(c.getCommandSpec()).abbreviatedSynopsis().strip();
            line.append(" (Usage: ").append(oneLine(usage)).append("; see '").append(name).append(" --help')");
            c.getErr().println(line);
            return c.getCommandSpec().exitCodeOnInvalidInput();
        });
    }

    /**
     * Why {@code mountPoint}, as typed, is refused, or empty when it is fine: a relative path that
     * is no existing directory is most likely a mistyped command ({@code jlxcfs restat}), which
     * would otherwise start a daemon mounted at ./restat. Absolute paths are created if missing.
     */
    static Optional<String> mountPointRefusal(Path mountPoint) {
        if (mountPoint.isAbsolute() || Files.isDirectory(mountPoint)) return Optional.empty();
        String typed = mountPoint.toString();
        StringBuilder line = new StringBuilder("jlxcfs: '").append(typed)
                .append("' is not a command, and as MOUNTPOINT it must be an absolute path or an existing directory");
        Optional<String> near = closest(typed, commands());
        if (near.isPresent()) line.append("; did you mean '").append(near.get()).append("'?");
        else line.append(" (commands: ").append(String.join(", ", commands())).append(')');
        return Optional.of(line.toString());
    }

    /** The names of jlxcfs's subcommands, from their annotations (so a new one is never missed); not the hidden ones. */
    static List<String> commands() {
        List<String> names = new ArrayList<>();
        for (Class<?> c : Main.class.getAnnotation(Command.class).subcommands()) {
            Command command = c.getAnnotation(Command.class);
            if (!command.hidden()) names.add(command.name());
        }
        return names;
    }

    /** The candidate within an edit distance of a third of the word (at least 1, at most 3), if one is nearest. */
    static Optional<String> closest(String word, List<String> candidates) {
        int limit = Math.clamp(word.length() / 3, 1, 3);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(word.toLowerCase(java.util.Locale.ROOT), c);
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        return bestDistance <= limit ? Optional.of(best) : Optional.empty();
    }

    /** Damerau-Levenshtein (optimal string alignment) distance: a swap of two letters counts 1. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /**
     * An exception as the cause a user can act on, on one line: the file and what is wrong with
     * it for file errors (Java gives only the path for "permission denied"), else the message.
     */
    static String describe(Throwable e) {
        if (e instanceof FileSystemException f) {
            String reason = f.getReason() != null ? f.getReason()
                    : f instanceof AccessDeniedException ? "permission denied"
                    : f instanceof NoSuchFileException ? "no such file or directory"
                    : f instanceof NotLinkException ? "not a symbolic link"
                    : f instanceof NotDirectoryException ? "not a directory"
                    : f.getClass().getSimpleName();
            String file = f.getFile() == null ? "" : f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile());
            return oneLine(file.isEmpty() ? reason : "cannot read " + file + ": " + reason);
        }
        if (e instanceof IOException && e.getMessage() != null) return oneLine(e.getMessage());
        // not an error a user caused, but still one line rather than a trace
        return oneLine(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replace('\n', ' ').replace('\r', ' ');
    }
}
