#!/usr/bin/env bash
# FUSE-layer benchmark: open/read/close ops/s on proc/loadavg for the host
# /proc, jlxcfs and LXCFS, with 1 and 2 readers. Run as root from anywhere:
#   sudo bench/fuse-ops.sh
# Env: BENCH_SECONDS (5), BENCH_WARMUP (2), BENCH_REPEAT (3), BENCH_READERS ("1 2"),
#      JLXCFS_OPTS (extra daemon options, e.g. "--threads 2"), JLXCFS_BUILD (1; 0 = never build),
#      LXCFS_BIN (/usr/bin/lxcfs).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
secs=${BENCH_SECONDS:-5}
warmup=${BENCH_WARMUP:-2}
repeat=${BENCH_REPEAT:-3}
read -r -a readers_list <<<"${BENCH_READERS:-1 2}"
lxcfs_bin=${LXCFS_BIN:-/usr/bin/lxcfs}
cmdline="$0${*:+ $*}"
envline=$(env | grep -E '^(BENCH_[A-Z]+|JLXCFS_OPTS|JLXCFS_JAVA_OPTS|JLXCFS_BUILD|LXCFS_BIN)=' | sort | tr '\n' ' ' || true)

[ "$(id -u)" -eq 0 ] || { echo "fuse-ops: must run as root (sudo $0)" >&2; exit 1; }
[ -e /dev/fuse ] || { echo "fuse-ops: /dev/fuse is missing" >&2; exit 1; }

work=$(mktemp -d /tmp/jlxcfs-bench.XXXXXX)
started_pids=()   # daemons (and the running opsloop) this script started
created_mnts=()   # mount points this script created


cleanup() {
  local pid mnt i
  trap - EXIT INT TERM
  for pid in "${started_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || continue
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for mnt in "${created_mnts[@]}"; do
    if is_mounted "$mnt"; then umount -l "$mnt" 2>/dev/null || echo "fuse-ops: could not unmount $mnt" >&2; fi
  done
  # --one-file-system: never descend into a mount that is still there.
  rm -rf --one-file-system "$work" 2>/dev/null || echo "fuse-ops: left $work behind" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits up to 30 s until $1 is readable and non-empty; $2 = pid of the daemon serving it.
# Sets wait_error to why it failed (returns 1) or to nothing (returns 0).
wait_readable() {
  local f=$1 pid=$2 end=$((SECONDS + 30)) rc
  wait_error=
  while ((SECONDS < end)); do
    if [ -n "$(timeout 2 head -c 1 "$f" 2>/dev/null)" ]; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      rc=0
      wait "$pid" 2>/dev/null || rc=$?
      wait_error="daemon exited (status $rc) before serving $f"
      return 1
    fi
    sleep 0.1
  done
  wait_error="${f} not readable within 30 s"
  return 1
}

# Starts a daemon in the background: $1 = name, $2 = mount point, rest = command.
# Sets started_pid. Output goes to $work/$1.log.
start_daemon() {
  local name=$1 mnt=$2
  shift 2
  mkdir "$mnt"
  created_mnts+=("$mnt")
  "$@" >"$work/$name.log" 2>&1 &
  started_pid=$!
  started_pids+=("$started_pid")
}

# Stops the daemon $1 (SIGTERM, then up to 15 s) and lazily unmounts $2 if still mounted.
stop_daemon() {
  local pid=$1 mnt=$2 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "fuse-ops: pid $pid ignored SIGTERM for 15 s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  if is_mounted "$mnt"; then
    echo "fuse-ops: WARNING: $mnt still mounted after its daemon exited; umount -l" >&2
    umount -l "$mnt" || true
  fi
}

failed_logs=()  # logs to print with the report
show_log() { failed_logs+=("$1"); }

# --- build the load generator ---
mkdir -p "$here/target"
cc -O2 -Wall -o "$here/target/opsloop" "$here/opsloop.c"
opsloop=$here/target/opsloop

declare -A file=()   # target -> file to read, for targets that are up
targets=(host jlxcfs lxcfs)
file[host]=/proc/loadavg

# --- jlxcfs ---
jlxcfs_pid='' jlxcfs_mnt='' jlxcfs_note=''
if [ ! -f "$top/daemon/target/jlxcfs-daemon.jar" ] && [ "${JLXCFS_BUILD:-1}" != 0 ]; then
  echo "fuse-ops: building jlxcfs (bin/mvnw -q -DskipTests package)..." >&2
  if ! (cd "$top" && bin/mvnw -q -DskipTests package) >"$work/build.log" 2>&1; then
    jlxcfs_note="FAILED: build failed (log at the end)"
    echo "fuse-ops: jlxcfs: build failed" >&2
    show_log build
  fi
fi
if [ -z "$jlxcfs_note" ]; then
  jlxcfs_mnt=$work/jlxcfs
  # --no-keeper: this benchmark never restarts the daemon, so it needs no keeper (one would be
  # started detached, on the machine's shared /run/jlxcfs socket, and outlive the run).
  # --no-remount: a benchmark must not re-bind files in other containers on the machine.
  # --keeper-socket: no keeper is used, but the daemon keeps its state (the devices it mounted,
  # for the remount agent) next to that socket: in our temp dir, not in /run/jlxcfs.
  # shellcheck disable=SC2086 # JLXCFS_OPTS is split into words on purpose
  start_daemon jlxcfs "$jlxcfs_mnt" "$top/bin/jlxcfs" --no-keeper --no-remount --keeper-socket "$work/state/keeper.sock" \
    ${JLXCFS_OPTS:-} "$jlxcfs_mnt"
  jlxcfs_pid=$started_pid
  if wait_readable "$jlxcfs_mnt/proc/loadavg" "$jlxcfs_pid"; then
    file[jlxcfs]=$jlxcfs_mnt/proc/loadavg
  else
    jlxcfs_note="FAILED: $wait_error (log at the end)"
    echo "fuse-ops: jlxcfs: $wait_error" >&2
    show_log jlxcfs
    stop_daemon "$jlxcfs_pid" "$jlxcfs_mnt"
    jlxcfs_pid=
  fi
fi

# --- LXCFS: reuse a running one (never touched), else start our own ---
lxcfs_pid='' lxcfs_mnt='' lxcfs_note=''
existing=$(awk -v w="$work/" 'index($5, w) != 1 { for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "fuse.lxcfs") print $5; break } }' \
  /proc/self/mountinfo | head -n 1)
if [ -n "$existing" ] && [ -n "$(timeout 2 head -c 1 "$existing/proc/loadavg" 2>/dev/null)" ]; then
  file[lxcfs]=$existing/proc/loadavg
  lxcfs_note="existing mount $existing"
  echo "fuse-ops: using the running LXCFS at $existing (not started or stopped by this script)" >&2
elif [ ! -x "$lxcfs_bin" ]; then
  lxcfs_note="not installed ($lxcfs_bin missing; apt-get install lxcfs)"
  echo "fuse-ops: LXCFS is not installed ($lxcfs_bin missing); skipping that target" >&2
else
  lxcfs_mnt=$work/lxcfs
  start_daemon lxcfs "$lxcfs_mnt" "$lxcfs_bin" -f -l --pidfile="$work/lxcfs.pid" "$lxcfs_mnt"
  lxcfs_pid=$started_pid
  if wait_readable "$lxcfs_mnt/proc/loadavg" "$lxcfs_pid"; then
    file[lxcfs]=$lxcfs_mnt/proc/loadavg
    lxcfs_note="LXCFS $("$lxcfs_bin" --version 2>&1 | head -n 1 | tr -d '"'), started by this script with -f -l"
  else
    lxcfs_note="FAILED: $wait_error (log at the end)"
    echo "fuse-ops: LXCFS: $wait_error" >&2
    show_log lxcfs
  fi
fi

# --- measure: REPEAT rounds, each round runs every (readers, target) once ---
declare -A samples=() errs=()
for ((rep = 1; rep <= repeat; rep++)); do
  for p in "${readers_list[@]}"; do
    for t in "${targets[@]}"; do
      [ -n "${file[$t]:-}" ] || continue
      # In the background so that a signal interrupts `wait` (and the trap runs) at once.
      "$opsloop" "${file[$t]}" "$secs" "$p" "$warmup" >"$work/opsloop.out" &
      started_pids+=("$!")
      out=
      if wait $!; then out=$(<"$work/opsloop.out"); fi
      unset 'started_pids[-1]'
      echo "fuse-ops: round $rep/$repeat readers=$p $t: ${out:-opsloop failed}" >&2
      ops=$(sed -n 's/.*ops_per_s=\([0-9.]*\).*/\1/p' <<<"$out")
      e=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$out")
      [ -n "$ops" ] || { ops=0; e=${e:-1}; }
      samples[$t,$p]+="$ops "
      errs[$t,$p]=$(( ${errs[$t,$p]:-0} + ${e:-0} ))
    done
  done
done

# --- stop what we started (jlxcfs unmounts itself on SIGTERM) ---
[ -z "$jlxcfs_pid" ] || stop_daemon "$jlxcfs_pid" "$jlxcfs_mnt"
[ -z "$lxcfs_pid" ] || stop_daemon "$lxcfs_pid" "$lxcfs_mnt"
started_pids=()


echo
echo "## jlxcfs FUSE ops/s (open/read/close of proc/loadavg)"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- kernel: $(uname -r), CPUs: $(nproc)"
echo "- command: ${envline}${cmdline}"
echo "- per measurement: ${secs} s after ${warmup} s warmup; median of ${repeat} interleaved runs"
echo "- jlxcfs: ${jlxcfs_note:-started by this script: bin/jlxcfs --no-keeper --no-remount --keeper-socket TMP/state/keeper.sock${JLXCFS_OPTS:+ $JLXCFS_OPTS}}"
echo "- LXCFS: ${lxcfs_note}"
echo
echo "| readers | host /proc/loadavg ops/s | jlxcfs ops/s | LXCFS ops/s | jlxcfs/LXCFS | jlxcfs/host |"
echo "|---:|---:|---:|---:|---:|---:|"
bad=0
for p in "${readers_list[@]}"; do
  declare -A med=()
  for t in "${targets[@]}"; do
    [ -z "${samples[$t,$p]:-}" ] || med[$t]=$(median <<<"${samples[$t,$p]}")
  done
  echo "| $p | ${med[host]:-n/a} | ${med[jlxcfs]:-n/a} | ${med[lxcfs]:-n/a} | $(ratio "${med[jlxcfs]:-}" "${med[lxcfs]:-}") | $(ratio "${med[jlxcfs]:-}" "${med[host]:-}") |"
done
echo
line="errors (all runs):"
for p in "${readers_list[@]}"; do
  for t in "${targets[@]}"; do
    [ -n "${samples[$t,$p]:-}" ] || continue
    line+=" $t/$p=${errs[$t,$p]}"
    [ "${errs[$t,$p]}" -eq 0 ] || { bad=1; line+=" (!)"; }
  done
done
echo "$line"
echo
echo "raw ops/s samples (target/readers: run 1..$repeat):"
for p in "${readers_list[@]}"; do
  for t in "${targets[@]}"; do
    [ -z "${samples[$t,$p]:-}" ] || echo "- $t/$p: ${samples[$t,$p]% }"
  done
done
for name in "${failed_logs[@]}"; do
  echo
  echo "$name log (last 40 lines):"
  echo '```'
  tail -n 40 "$work/$name.log" || true
  echo '```'
done
if [ "$bad" -ne 0 ]; then
  echo
  echo "**WARNING: non-zero error counts above; those ops/s numbers are not valid.**"
  exit 1
fi
