package org.jlxcfs.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Every wrong use of the Kubernetes-mode options: exit 2 and one line naming the option, before anything starts. */
class KubernetesOptionRefusalsTest {
    @TempDir
    Path tmp;

    /** Runs the CLI in this JVM (every case is refused before anything is started) and returns its stderr. */
    private String refused(String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = tmp.resolve("mnt").toString();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int exit;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            exit = Main.run(all);
        } finally {
            System.setErr(err);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(text).isEqualTo(2);
        assertThat(text.lines().toList()).as(text).hasSize(1);
        assertThat(text).doesNotContain("\tat ", "Exception");
        assertThat(tmp.resolve("mnt")).doesNotExist();
        return text.strip();
    }

    @Test
    void eachRefusalNamesItsOption() {
        assertThat(refused("--on-term=stop")).startsWith("jlxcfs: Invalid value for option '--on-term': expected one of "
                + "[handover, unmount] (case-sensitive) but was 'stop'");
        assertThat(refused("--on-term=handover", "--no-keeper"))
                .isEqualTo("jlxcfs: --on-term=handover needs a keeper to hand over to; it contradicts --no-keeper");
        assertThat(refused("--keeper-wait", "5", "--no-keeper")).isEqualTo("jlxcfs: --keeper-wait needs a keeper; it contradicts --no-keeper");
        assertThat(refused("--keeper-wait", "-1")).isEqualTo("jlxcfs: --keeper-wait must be between 0 and 3600 seconds, got -1");
        assertThat(refused("--keeper-wait", "soon")).contains("Invalid value for option '--keeper-wait'", "'soon' is not an int");
        assertThat(refused("--health-port", "65536")).isEqualTo("jlxcfs: --health-port must be between 0 and 65535, got 65536");
        assertThat(refused("--health-address", "127.0.0.1")).isEqualTo("jlxcfs: --health-address needs --health-port");
        assertThat(refused("--health-port", "8090", "--health-address", "localhost"))
                .isEqualTo("jlxcfs: --health-address must be an IP address, got 'localhost'");
        assertThat(refused("--node-name", "n1")).isEqualTo("jlxcfs: --node-name needs --node-label");
        assertThat(refused("--api-server", "https://10.0.0.1")).isEqualTo("jlxcfs: --api-server needs --node-label");
        assertThat(refused("--node-label", "--node-name", "Node_1", "--api-server", "https://10.0.0.1"))
                .startsWith("jlxcfs: --node-name must be a node name");
        assertThat(refused("--node-label", "--node-name", "n1", "--api-server", "http://10.0.0.1:8080"))
                .startsWith("jlxcfs: --api-server must be an https:// URL");
        assertThat(refused("--remount-lxcfs", "var/lib/lxcfs")).isEqualTo("jlxcfs: --remount-lxcfs must be an absolute path, got 'var/lib/lxcfs'");
        assertThat(refused("--remount-lxcfs", "/var/lib/lxcfs", "--no-remount")).isEqualTo("jlxcfs: --remount-lxcfs contradicts --no-remount");
    }

    @Test
    void helpGroupsTheNewOptions() {
        String help = new picocli.CommandLine(new Main()).getUsageMessage();
        assertThat(help).contains("Restarts and hand-over:", "On a Kubernetes node:");
        assertThat(help.indexOf("Restarts and hand-over:")).isLessThan(help.lastIndexOf("--on-term=ACTION"));
        assertThat(help.indexOf("On a Kubernetes node:")).isLessThan(help.lastIndexOf("--health-port=PORT"))
                .isGreaterThan(help.lastIndexOf("--remount-lxcfs=PATH"));
    }
}
