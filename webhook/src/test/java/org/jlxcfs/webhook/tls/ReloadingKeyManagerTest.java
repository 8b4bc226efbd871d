package org.jlxcfs.webhook.tls;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class ReloadingKeyManagerTest {
    private static final TestPki.Ca CA = TestPki.newCa("km test CA");

    @Test
    void aHandshakeKeepsTheIdentityItsAliasNamedWhileTheSourceMovesOn() {
        TestPki.Issued first = CA.issue("first");
        TestPki.Issued second = CA.issue("second");
        AtomicReference<ServingIdentity> source = new AtomicReference<>();
        ReloadingKeyManager km = new ReloadingKeyManager(source::get);
        assertThat(km.chooseEngineServerAlias("EC", null, null)).as("no identity yet").isNull();

        source.set(first.identity());
        String a1 = km.chooseEngineServerAlias("EC", null, null);
        assertThat(a1).isNotNull();
        assertThat(km.chooseEngineServerAlias("RSA", null, null)).as("an EC key cannot serve RSA").isNull();
        source.set(second.identity());
        String a2 = km.chooseServerAlias("EC", null, null);
        assertThat(a2).isNotEqualTo(a1);
        assertThat(km.getCertificateChain(a1)).containsExactly(first.cert());
        assertThat(km.getPrivateKey(a1)).isEqualTo(first.key());
        assertThat(km.getCertificateChain(a2)).containsExactly(second.cert());
        assertThat(km.getPrivateKey("unknown")).isNull();
        assertThat(km.getClientAliases("EC", null)).isNull();
    }

    @Test
    void keyTypes() {
        assertThat(ReloadingKeyManager.fits("RSA", "RSA")).isTrue();
        assertThat(ReloadingKeyManager.fits("EC", "EC")).isTrue();
        assertThat(ReloadingKeyManager.fits("EC", "EC_EC")).isTrue();
        assertThat(ReloadingKeyManager.fits("RSA", "RSASSA-PSS")).isFalse();
        assertThat(ReloadingKeyManager.fits("Ed25519", "EdDSA")).isTrue();
        assertThat(ReloadingKeyManager.fits("EC", null)).isFalse();
    }
}
