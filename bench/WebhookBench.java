// Load generator for `jlxcfs webhook`: run by bench/webhook.sh with the Java 25 source launcher
// (java bench/WebhookBench.java ...). Each client is a thread with one keep-alive TLS connection
// (as the API server keeps its connections) posting realistic AdmissionReviews (a pod with two
// containers) one after the other; every answer must be 200 with "allowed":true and the request's
// uid. Prints one line per run: clients, reviews/s, p50, p99, max latency (ms), errors.
//
// Usage: java WebhookBench.java --url https://127.0.0.1:PORT/mutate --ca CA.pem
//        [--clients 1,32] [--seconds 5] [--warmup 2] [--repeat 3] [--rate N]
// --rate N: the clients together send N reviews/s on a fixed schedule (each at its turn) instead
// of as fast as answers come; latency is then counted from each review's scheduled time, so a
// stall shows in full (no coordinated omission). Without it, the clients saturate the server and
// latency is mostly queueing (clients / throughput).

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

public class WebhookBench {
    record Run(int clients, double perSecond, double p50, double p99, double max, long errors) {}

    static double rate; // reviews/s for all clients together; 0: as fast as possible

    public static void main(String[] args) throws Exception {
        String url = null, ca = null, clientsArg = "1,32";
        double seconds = 5, warmup = 2;
        int repeat = 3;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--url" -> url = args[i + 1];
                case "--ca" -> ca = args[i + 1];
                case "--clients" -> clientsArg = args[i + 1];
                case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
                case "--warmup" -> warmup = Double.parseDouble(args[i + 1]);
                case "--repeat" -> repeat = Integer.parseInt(args[i + 1]);
                case "--rate" -> rate = Double.parseDouble(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (url == null || ca == null) throw new IllegalArgumentException("--url and --ca are required");
        URI uri = URI.create(url);
        SSLContext tls = trusting(ca);
        List<Run> all = new ArrayList<>();
        for (String c : clientsArg.split(",")) {
            int clients = Integer.parseInt(c.strip());
            run(tls, uri, clients, warmup, 0); // JIT warm-up of both sides, not counted
            for (int r = 0; r < repeat; r++) {
                Run run = run(tls, uri, clients, seconds, r + 1);
                all.add(run);
                System.out.printf(Locale.ROOT, "run clients=%d" + (rate > 0 ? " rate=" + (long) rate : "") + " reviews/s=%.0f p50=%.3f p99=%.3f max=%.3f errors=%d%n",
                        run.clients(), run.perSecond(), run.p50(), run.p99(), run.max(), run.errors());
            }
        }
        System.out.println();
        System.out.println("| clients | reviews/s | p50 ms | p99 ms | max ms | errors |");
        System.out.println("|---:|---:|---:|---:|---:|---:|");
        for (int clients : all.stream().mapToInt(Run::clients).distinct().toArray()) {
            List<Run> runs = all.stream().filter(r -> r.clients() == clients).toList();
            System.out.printf(Locale.ROOT, "| %d | %.0f | %.3f | %.3f | %.3f | %d |%n", clients,
                    median(runs.stream().mapToDouble(Run::perSecond).toArray()), median(runs.stream().mapToDouble(Run::p50).toArray()),
                    median(runs.stream().mapToDouble(Run::p99).toArray()), median(runs.stream().mapToDouble(Run::max).toArray()),
                    runs.stream().mapToLong(Run::errors).sum());
        }
        System.out.println("(median of " + repeat + " runs of " + seconds + " s each, after a " + warmup + " s warm-up per client count; "
                + (rate > 0 ? "paced: " + (long) rate + " reviews/s in all, latency from each review's scheduled time)"
                        : "closed loop: each client sends its next review as soon as the last is answered)"));
        if (all.stream().anyMatch(r -> r.errors() > 0)) System.exit(1);
    }

    static Run run(SSLContext tls, URI uri, int clients, double seconds, int round) throws Exception {
        long[][] latencies = new long[clients][];
        int[] counts = new int[clients];
        AtomicLong errors = new AtomicLong();
        CountDownLatch connected = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        Thread[] threads = new Thread[clients];
        for (int t = 0; t < clients; t++) {
            int id = t;
            latencies[t] = new long[1 << 16];
            threads[t] = Thread.ofPlatform().name("client-" + t).start(() -> {
                try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(uri.getHost(), uri.getPort())) {
                    s.setTcpNoDelay(true);
                    s.setSoTimeout(10_000);
                    s.startHandshake();
                    OutputStream out = s.getOutputStream();
                    InputStream in = new BufferedInputStream(s.getInputStream(), 16384);
                    connected.countDown();
                    go.await();
                    long end = window[1];
                    long interval = rate > 0 ? (long) (clients / rate * 1e9) : 0;
                    long next = window[0] + interval * id / clients;
                    for (int n = 0; System.nanoTime() < end; n++) {
                        String uid = "bench-" + round + "-" + id + "-" + n;
                        long start;
                        if (interval > 0) {
                            for (long wait = next - System.nanoTime(); wait > 0; wait = next - System.nanoTime()) {
                                java.util.concurrent.locks.LockSupport.parkNanos(wait);
                            }
                            if (next >= end) break;
                            start = next;
                            next += interval;
                        } else {
                            start = System.nanoTime();
                        }
                        out.write(request(uri, uid));
                        out.flush();
                        String body = response(in);
                        long took = System.nanoTime() - start;
                        if (body == null || !body.contains("\"allowed\":true") || !body.contains(uid)) {
                            if (errors.incrementAndGet() <= 3) System.err.println("unexpected answer: " + body);
                        }
                        if (counts[id] == latencies[id].length) latencies[id] = Arrays.copyOf(latencies[id], counts[id] * 2);
                        latencies[id][counts[id]++] = took;
                    }
                } catch (Exception e) {
                    errors.incrementAndGet();
                    System.err.println("client " + id + ": " + e);
                    connected.countDown();
                }
            });
        }
        connected.await();
        window[0] = System.nanoTime();
        window[1] = window[0] + (long) (seconds * 1e9);
        go.countDown();
        for (Thread t : threads) t.join();
        double elapsed = (System.nanoTime() - window[0]) / 1e9;
        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int k = 0;
        for (int t = 0; t < clients; t++) {
            System.arraycopy(latencies[t], 0, all, k, counts[t]);
            k += counts[t];
        }
        Arrays.sort(all);
        return new Run(clients, total / elapsed, ms(percentile(all, 0.50)), ms(percentile(all, 0.99)),
                ms(total == 0 ? 0 : all[total - 1]), errors.get());
    }

    static byte[] request(URI uri, String uid) {
        byte[] body = REVIEW.replace("UID", uid).getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST " + uri.getPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                + "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: " + body.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    /** The body of one HTTP/1.1 response with a Content-Length; null unless the status is 200. */
    static String response(InputStream in) throws IOException {
        String status = line(in);
        int length = -1;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            if (colon > 0 && h.substring(0, colon).equalsIgnoreCase("Content-Length")) length = Integer.parseInt(h.substring(colon + 1).strip());
        }
        if (length < 0) throw new IOException("no Content-Length in the answer (" + status + ")");
        String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        return status.startsWith("HTTP/1.1 200") ? body : status + " " + body;
    }

    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) throw new IOException("connection closed");
            if (c != '\r') b.write(c);
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    static long percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    static double median(double[] v) {
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static SSLContext trusting(String caFile) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        try (FileInputStream in = new FileInputStream(caFile)) {
            int i = 0;
            for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) store.setCertificateEntry("ca" + i++, cert);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, tmf.getTrustManagers(), null);
        return c;
    }

    /** A CREATE of a Deployment's pod as the API server sends it: two containers, probes, env, a projected token volume. */
    static final String REVIEW = """
            {"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"UID",\
            "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},\
            "requestKind":{"group":"","version":"v1","kind":"Pod"},"requestResource":{"group":"","version":"v1","resource":"pods"},\
            "namespace":"shop","operation":"CREATE","userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller",\
            "uid":"0b6f8f43-3c0e-4b8e-9d43-1c2f7c1d2b9a","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]},\
            "object":{"kind":"Pod","apiVersion":"v1","metadata":{"generateName":"web-7d9c8b6f5d-","namespace":"shop",\
            "creationTimestamp":null,"labels":{"app":"web","pod-template-hash":"7d9c8b6f5d","tier":"frontend"},\
            "annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-30T10:00:00Z","prometheus.io/scrape":"true"},\
            "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d9c8b6f5d",\
            "uid":"5e1c2b3a-9f8e-4d7c-8b6a-5f4e3d2c1b0a","controller":true,"blockOwnerDeletion":true}]},\
            "spec":{"volumes":[{"name":"config","configMap":{"name":"web-config","defaultMode":420}},\
            {"name":"kube-api-access-x7k2p","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},\
            {"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},\
            {"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],\
            "defaultMode":420}}],"containers":[{"name":"web","image":"registry.example.com/shop/web:1.42.0",\
            "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],\
            "env":[{"name":"JAVA_TOOL_OPTIONS","value":"-XX:MaxRAMPercentage=75"},{"name":"POD_NAME","valueFrom":{"fieldRef":\
            {"apiVersion":"v1","fieldPath":"metadata.name"}}},{"name":"DB_URL","valueFrom":{"secretKeyRef":{"name":"db","key":"url"}}}],\
            "resources":{"limits":{"cpu":"2","memory":"1Gi"},"requests":{"cpu":"500m","memory":"512Mi"}},\
            "volumeMounts":[{"name":"config","readOnly":true,"mountPath":"/etc/web"},\
            {"name":"kube-api-access-x7k2p","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],\
            "livenessProbe":{"httpGet":{"path":"/healthz","port":"http","scheme":"HTTP"},"initialDelaySeconds":10,"timeoutSeconds":1,\
            "periodSeconds":10,"successThreshold":1,"failureThreshold":3},"readinessProbe":{"httpGet":{"path":"/ready","port":"http",\
            "scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":5,"successThreshold":1,"failureThreshold":3},\
            "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"},\
            {"name":"envoy","image":"registry.example.com/mesh/envoy:1.31.2","args":["--config-path","/etc/envoy/envoy.yaml"],\
            "ports":[{"name":"admin","containerPort":9901,"protocol":"TCP"}],"resources":{"limits":{"cpu":"500m","memory":"256Mi"},\
            "requests":{"cpu":"100m","memory":"128Mi"}},"volumeMounts":[{"name":"kube-api-access-x7k2p","readOnly":true,\
            "mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log",\
            "terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always",\
            "terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"web","serviceAccount":"web",\
            "securityContext":{"runAsNonRoot":true,"fsGroup":2000},"schedulerName":"default-scheduler",\
            "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},\
            {"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],\
            "priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{}},\
            "oldObject":null,"dryRun":false,"options":{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}}}""";
}
