package org.jlxcfs.view.host;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TextTest {
    @Test
    void fieldsSplitOnRunsOfWhitespace() {
        assertThat(Text.fields("  8:0 rbytes=1\twbytes=2 \n")).containsExactly("8:0", "rbytes=1", "wbytes=2");
        assertThat(Text.fields("cpu0 1 2 3 4 5 6 7 8 9 10 11")).hasSize(12).startsWith("cpu0", "1").endsWith("11");
        assertThat(Text.fields("one")).containsExactly("one");
    }

    @Test
    void blankTextHasNoFields() {
        assertThat(Text.fields("")).isEmpty();
        assertThat(Text.fields(" \t\n")).isEmpty();
    }
}
