#!/usr/bin/env bash
# Webhook benchmark: AdmissionReviews per second and latency over TLS with keep-alive, for 1 and
# 32 concurrent clients, against `bin/jlxcfs webhook` on loopback. Run from anywhere:
#   bench/webhook.sh
# Two passes: closed loop (each client sends as soon as it has its answer: the most the webhook
# can do, latency mostly queueing), then paced at BENCH_RATE reviews/s in all (a busy cluster's
# pod creations are far fewer), latency counted from each review's scheduled time.
# Env: BENCH_SECONDS (5), BENCH_WARMUP (3), BENCH_REPEAT (3), BENCH_CLIENTS ("1,32"), BENCH_RATE (1000; 0 = no paced pass),
#      BENCH_PORT (18443), BENCH_METRICS_PORT (18080), JLXCFS_BUILD (1; 0 = never build),
#      BENCH_CERTS (auto: --self-signed, falling back to an openssl CA; "openssl" forces the latter).
# Prints the median of BENCH_REPEAT runs per client count, the webhook's peak RSS and its
# admissions as its /metrics counted them. Exits 1 if any answer was wrong or missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
secs=${BENCH_SECONDS:-5}
warmup=${BENCH_WARMUP:-3}
repeat=${BENCH_REPEAT:-3}
clients=${BENCH_CLIENTS:-1,32}
rate=${BENCH_RATE:-1000}
port=${BENCH_PORT:-18443}
mport=${BENCH_METRICS_PORT:-18080}
certs=${BENCH_CERTS:-auto}

say() { echo "webhook-bench: $*" >&2; }

# shellcheck source-path=SCRIPTDIR source=../bin/lib/find-java.sh
. "$top/bin/lib/find-java.sh"
find_java25 || exit 1
jar="$top/daemon/target/jlxcfs-daemon.jar"
if [ ! -f "$jar" ] && [ "${JLXCFS_BUILD:-1}" = 1 ]; then
  say "building jlxcfs (bin/mvnw -q -DskipTests package)"
  (cd "$top" && bin/mvnw -q -B -DskipTests package) >&2
fi

work=$(mktemp -d /tmp/jlxcfs-webhook-bench.XXXXXX)
pid=
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for p in "$port" "$mport"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then say "port $p is in use; set BENCH_PORT / BENCH_METRICS_PORT"; exit 1; fi
done

# Starts the webhook with "$@" as its certificate options; true once /readyz answers 200 (20 s at most).
start_webhook() {
  local end=$((SECONDS + 20))
  env -u KUBERNETES_SERVICE_HOST "$top/bin/jlxcfs" webhook --port "$port" --metrics-port "$mport" \
    --namespace jlxcfs-bench "$@" >"$work/webhook.log" 2>&1 &
  pid=$!
  while ((SECONDS < end)); do
    if ! kill -0 "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; pid=; return 1; fi
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/readyz" 2>/dev/null)" = 200 ]; then return 0; fi
    sleep 0.2
  done
  return 1
}

stop_webhook() {
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}

# A CA and a serving certificate for 127.0.0.1 and localhost, made with openssl.
openssl_certs() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=jlxcfs bench CA" \
    -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=jlxcfs-webhook.jlxcfs-bench.svc" \
    -keyout "$work/tls.key" -out "$work/tls.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' \
    >"$work/ext.cnf"
  openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 1 \
    -extfile "$work/ext.cnf" -out "$work/tls.crt" 2>/dev/null
}

mode=
if [ "$certs" != openssl ]; then
  if start_webhook --self-signed --ca-bundle-out "$work/ca.pem" && [ -s "$work/ca.pem" ]; then
    mode="--self-signed (certificates in memory, CA written with --ca-bundle-out)"
  else
    say "--self-signed did not become ready; falling back to an openssl CA and --tls-cert/--tls-key. Its log:"
    sed 's/^/  /' "$work/webhook.log" | head -n 20 >&2
    stop_webhook
  fi
fi
if [ -z "$mode" ]; then
  openssl_certs
  if ! start_webhook --tls-cert "$work/tls.crt" --tls-key "$work/tls.key"; then
    say "the webhook did not become ready. Its log:"
    sed 's/^/  /' "$work/webhook.log" >&2
    exit 1
  fi
  mode="--tls-cert/--tls-key (openssl CA)"
fi

echo "# jlxcfs webhook benchmark"
echo "date: $(date -u +%FT%TZ); kernel: $(uname -r); cpus: $(nproc); java: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1)"
echo "certificates: $mode; command: $0${*:+ $*}"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows in the tail latencies)"
echo
rc=0
echo "## closed loop"
"$JAVA_HOME/bin/java" -Xmx256m "$here/WebhookBench.java" --url "https://127.0.0.1:$port/mutate" --ca "$work/ca.pem" \
  --clients "$clients" --seconds "$secs" --warmup "$warmup" --repeat "$repeat" || rc=$?
if [ "$rate" != 0 ]; then
  echo
  echo "## paced: $rate reviews/s"
  "$JAVA_HOME/bin/java" -Xmx256m "$here/WebhookBench.java" --url "https://127.0.0.1:$port/mutate" --ca "$work/ca.pem" \
    --clients "$clients" --seconds "$secs" --warmup "$warmup" --repeat "$repeat" --rate "$rate" || rc=$?
fi
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "webhook peak RSS: $(awk '/VmHWM/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$pid/status")," \
  "now: $(awk '/VmRSS/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$pid/status")"
echo "admissions counted by /metrics, and the server's own time per review (from its headers to its answer):"
curl -s "http://127.0.0.1:$mport/metrics" >"$work/metrics.txt" || true
grep -E '^jlxcfs_webhook_admissions_total' "$work/metrics.txt" | sed 's/^/  /' || true
awk -F'[{}" ]+' '/^jlxcfs_webhook_admission_duration_seconds_bucket/ { le[++n] = $3; c[n] = $NF }
  END { for (i = 1; i <= n; i++) printf "  <= %s s: %.4f%%\n", le[i], 100 * c[i] / c[n] }' "$work/metrics.txt" | head -n 6
if grep -qE 'ERROR|SEVERE' "$work/webhook.log"; then
  say "the webhook logged errors:"
  grep -E 'ERROR|SEVERE' "$work/webhook.log" | sort | uniq -c | sort -rn | head -n 5 >&2
fi
exit "$rc"
