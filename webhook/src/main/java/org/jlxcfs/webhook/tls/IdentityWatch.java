package org.jlxcfs.webhook.tls;

import java.lang.System.Logger.Level;
import java.util.function.Supplier;

/**
 * The identity a source supplies, with a callback whenever it changes (metrics: the expiry gauge
 * and the reloads counter), whichever source it is (files, self-managed). A source that fails is
 * reported as no identity (not ready; handshakes refused), logged once per distinct failure.
 */
public final class IdentityWatch implements Supplier<ServingIdentity> {
    private static final System.Logger LOG = System.getLogger("jlxcfs.webhook.tls");

    /** Told of each new identity. */
    @FunctionalInterface
    public interface Listener {
        /** @param reload whether it replaced an earlier one (false for the first) */
        void changed(ServingIdentity identity, boolean reload);
    }

    private final Supplier<ServingIdentity> source;
    private final Listener listener;
    private ServingIdentity last;
    private String lastFailure;

    public IdentityWatch(Supplier<ServingIdentity> source, Listener listener) {
        this.source = source;
        this.listener = listener;
    }

    @Override
    public ServingIdentity get() {
        ServingIdentity now;
        try {
            now = source.get();
        } catch (RuntimeException e) {
            failed(e.toString());
            return null;
        }
        if (now != null && now != last) changed(now);
        return now;
    }

    private synchronized void changed(ServingIdentity now) {
        if (now == last) return;
        boolean reload = last != null;
        last = now;
        lastFailure = null;
        listener.changed(now, reload);
    }

    private synchronized void failed(String why) {
        if (why.equals(lastFailure)) return;
        lastFailure = why;
        LOG.log(Level.WARNING, "no serving certificate: " + why);
    }
}
