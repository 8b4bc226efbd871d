package org.jlxcfs.view.host;

import org.jlxcfs.sys.Syscall;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The system-call reader and the java.nio one used while the downcall is being linked agree. */
class SysFilesTest {
    @TempDir
    Path dir;

    @Test
    void bothReadersGiveTheSameBytesAndLinkTargets() throws Exception {
        Path file = dir.resolve("f");
        String text = "line one\n".repeat(40_000); // larger than the system-call reader's first buffer
        Files.writeString(file, text);
        assertThat(SysFiles.readStringNow(file)).isEqualTo(text);
        assertThat(new String(SysFiles.readWithoutSyscall(file), StandardCharsets.UTF_8)).isEqualTo(text);
        assertThat(SysFiles.readWithoutSyscall(Path.of("/proc/self/stat"))).isNotEmpty(); // size 0 in stat(2)
        Path link = Files.createSymbolicLink(dir.resolve("l"), Path.of("pid:[4026531836]"));
        assertThat(SysFiles.readLink(link)).isEqualTo("pid:[4026531836]");
        assertThat(new String(SysFiles.readLinkWithoutSyscall(link), StandardCharsets.UTF_8)).isEqualTo("pid:[4026531836]");
        assertThat(Syscall.Linked.pending()).as("linked by the first read, on this thread").isFalse();
    }

    @Test
    void bothReadersThrowTheSameExceptions() {
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> SysFiles.readStringNow(missing)).isExactlyInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> SysFiles.readWithoutSyscall(missing)).isExactlyInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> SysFiles.readLink(missing)).isExactlyInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> SysFiles.readLinkWithoutSyscall(missing)).isExactlyInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> SysFiles.readStringNow(dir)).isInstanceOf(FileSystemException.class);
        assertThatThrownBy(() -> SysFiles.readWithoutSyscall(dir)).isInstanceOf(java.io.IOException.class);
    }
}
