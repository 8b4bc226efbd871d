package org.jlxcfs.daemon.health;

/**
 * The daemon's metrics in the Prometheus text format (0.0.4). Written by hand: three metrics do not
 * justify loading a metrics library into a daemon whose resident size is counted in MiB.
 */
final class MetricsText {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private MetricsText() {}

    static String render(ServingState state, String version) {
        StringBuilder out = new StringBuilder(640);
        out.append("# HELP jlxcfs_serving 1 while this process serves the mount, else 0.\n")
                .append("# TYPE jlxcfs_serving gauge\n")
                .append("jlxcfs_serving ").append(state.serving() ? 1 : 0).append('\n');
        out.append("# HELP jlxcfs_takeovers_total Connections this process took over instead of mounting, by kind.\n")
                .append("# TYPE jlxcfs_takeovers_total counter\n");
        for (ServingState.Takeover kind : ServingState.Takeover.values()) {
            out.append("jlxcfs_takeovers_total{kind=\"").append(kind.label()).append("\"} ")
                    .append(state.takeovers(kind)).append('\n');
        }
        int psi = state.psiTriggers();
        if (psi >= 0) {
            out.append("# HELP jlxcfs_psi_triggers PSI triggers containers hold through this process's pressure files.\n")
                    .append("# TYPE jlxcfs_psi_triggers gauge\n")
                    .append("jlxcfs_psi_triggers ").append(psi).append('\n');
        }
        out.append("# HELP jlxcfs_build_info The running build of jlxcfs.\n")
                .append("# TYPE jlxcfs_build_info gauge\n")
                .append("jlxcfs_build_info{version=\"").append(escape(version)).append("\"} 1\n");
        return out.toString();
    }

    /** A label value as the format wants it: backslash, double quote and newline escaped. */
    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
