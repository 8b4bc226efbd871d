package org.jlxcfs.webhook.certs;

import java.util.List;

/** The names a Service is reached by inside the cluster; the API server calls the webhook by {@code <svc>.<ns>.svc}. */
record ServiceNames(String service, String namespace) {
    ServiceNames {
        if (service == null || service.isBlank()) throw new IllegalArgumentException("the webhook's Service name is empty");
        if (namespace == null || namespace.isBlank()) throw new IllegalArgumentException("the webhook's namespace is empty");
    }

    String serviceDns() {
        return service + "." + namespace + ".svc";
    }

    List<String> dnsNames() {
        return List.of(service, service + "." + namespace, serviceDns(), serviceDns() + ".cluster.local");
    }
}
