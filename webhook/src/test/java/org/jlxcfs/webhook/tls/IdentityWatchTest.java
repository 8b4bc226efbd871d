package org.jlxcfs.webhook.tls;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class IdentityWatchTest {
    private static final TestPki.Ca CA = TestPki.newCa("watch CA");

    @Test
    void tellsOfEachNewIdentityOnceAndTreatsAFailingSourceAsNone() {
        ServingIdentity first = CA.issue("first").identity();
        ServingIdentity second = CA.issue("second").identity();
        AtomicReference<Object> source = new AtomicReference<>();
        List<String> told = new ArrayList<>();
        IdentityWatch watch = new IdentityWatch(() -> {
            if (source.get() instanceof RuntimeException e) throw e;
            return (ServingIdentity) source.get();
        }, (identity, reload) -> told.add(identity.chain()[0].getSubjectX500Principal().getName() + (reload ? " reload" : " first")));

        assertThat(watch.get()).isNull();
        source.set(first);
        assertThat(watch.get()).isSameAs(first);
        assertThat(watch.get()).isSameAs(first);
        source.set(new IllegalStateException("not yet"));
        assertThat(watch.get()).isNull();
        source.set(second);
        assertThat(watch.get()).isSameAs(second);
        assertThat(told).containsExactly("CN=first first", "CN=second reload");
    }
}
