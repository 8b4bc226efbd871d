package org.jlxcfs.webhook.admission;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InjectionConfigTest {
    @Test
    void noOptionOrDefaultMeansTheDefaultFiles() {
        assertThat(InjectionConfig.parseFiles((List<String>) null)).isEqualTo(InjectionConfig.DEFAULT_FILES);
        assertThat(InjectionConfig.parseFiles((String) null)).isEqualTo(InjectionConfig.DEFAULT_FILES);
        assertThat(InjectionConfig.parseFiles("default")).isEqualTo(InjectionConfig.DEFAULT_FILES);
    }

    @Test
    void pressureExpandsAndDefaultCombines() {
        assertThat(InjectionConfig.parseFiles("default,proc/pressure/*,proc/slabinfo"))
                .startsWith(InjectionConfig.DEFAULT_FILES.toArray(String[]::new))
                .endsWith("proc/pressure/cpu", "proc/pressure/memory", "proc/pressure/io", "proc/slabinfo")
                .hasSize(InjectionConfig.DEFAULT_FILES.size() + 4);
    }

    @Test
    void theCpuDirectoryIsADirectoryVolumeAndCoversTheFilesBelowIt() {
        List<String> files = InjectionConfig.parseFiles(List.of("default", "sys/devices/system/cpu"));
        assertThat(files).contains("sys/devices/system/cpu").doesNotContain("sys/devices/system/cpu/online");
        InjectionConfig config = new InjectionConfig(files, Path.of("/var/lib/jlxcfs/"), "jlxcfs-system");
        InjectedFile cpu = config.injectedFiles().stream().filter(InjectedFile::directory).findFirst().orElseThrow();
        assertThat(cpu).isEqualTo(new InjectedFile("sys/devices/system/cpu", true, "jlxcfs-sys-devices-system-cpu",
                "/var/lib/jlxcfs/sys/devices/system/cpu", "/sys/devices/system/cpu"));
        assertThat(cpu.hostPathType()).isEqualTo("Directory");
        assertThat(config.injectedFiles().getFirst()).isEqualTo(new InjectedFile("proc/cpuinfo", false,
                "jlxcfs-proc-cpuinfo", "/var/lib/jlxcfs/proc/cpuinfo", "/proc/cpuinfo"));
    }

    @Test
    void aRootSourceDirGivesSingleSlashes() {
        InjectionConfig config = new InjectionConfig(List.of("proc/meminfo"), Path.of("/"), "ns");
        assertThat(config.injectedFiles().getFirst().hostPath()).isEqualTo("/proc/meminfo");
    }

    @ParameterizedTest(name = "''{0}'' is refused: {1}")
    @CsvSource(delimiter = '|', value = {
            "/proc/meminfo|'/proc/meminfo' is absolute",
            "proc/../etc/shadow|may not contain '..'",
            "./proc/meminfo|may not contain '.'",
            "proc//meminfo|empty path segment",
            "proc/meminfo/|empty path segment",
            "proc/meminfo,,proc/stat|an entry is empty",
            "proc/meminfo,proc/meminfo|'proc/meminfo' is listed twice",
            "proc/stat,default|'proc/stat' is listed twice (through 'default')",
            "default,proc/stat|'proc/stat' is listed twice",
            "proc/*|only proc/pressure/* may use '*'",
            "proc/mem info|'proc/mem info' holds a character",
            "proc/a_b,proc/a.b|would get the same volume name jlxcfs-proc-a-b",
            "proc/abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij|not a valid Kubernetes name",
            "''|an entry is empty"})
    void badEntriesAreRefusedByName(String option, String message) {
        assertThatThrownBy(() -> new InjectionConfig(InjectionConfig.parseFiles(option), Path.of("/var/lib/jlxcfs"), "ns"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--files: ")
                .hasMessageContaining(message);
    }

    @Test
    void theConstructorValidatesToo() {
        assertThatThrownBy(() -> new InjectionConfig(List.of(), Path.of("/x"), "ns")).hasMessageContaining("empty");
        assertThatThrownBy(() -> new InjectionConfig(List.of("proc/meminfo", "proc/meminfo"), Path.of("/x"), "ns"))
                .hasMessageContaining("listed twice");
        assertThatThrownBy(() -> new InjectionConfig(List.of("sys/devices/system/cpu", "sys/devices/system/cpu/online"),
                Path.of("/x"), "ns")).hasMessageContaining("inside the directory entry 'sys/devices/system/cpu'");
        assertThatThrownBy(() -> new InjectionConfig(List.of("/proc/meminfo"), Path.of("/x"), "ns"))
                .hasMessageContaining("absolute");
        assertThatThrownBy(() -> new InjectionConfig(InjectionConfig.DEFAULT_FILES, Path.of("var/lib"), "ns"))
                .hasMessageStartingWith("--source-dir: 'var/lib'");
        assertThatThrownBy(() -> new InjectionConfig(InjectionConfig.DEFAULT_FILES, Path.of("/var/lib"), " "))
                .hasMessageStartingWith("--namespace");
        assertThatThrownBy(() -> new InjectionConfig(Arrays.asList("proc/meminfo", null), Path.of("/x"), "ns"))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void defaultsAreValid() {
        InjectionConfig config = InjectionConfig.defaults("jlxcfs-system");
        assertThat(config.sourceDir()).isEqualTo(InjectionConfig.DEFAULT_SOURCE_DIR);
        assertThat(config.injectedFiles()).extracting(InjectedFile::volumeName).contains("jlxcfs-proc-meminfo",
                "jlxcfs-sys-devices-system-cpu-online").allSatisfy(name -> assertThat(InjectedFile.isDnsLabel(name)).isTrue());
    }
}
