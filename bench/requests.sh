#!/usr/bin/env bash
# What one open/read/close cycle costs jlxcfs, per file (proc/meminfo, stat, cpuinfo, uptime,
# loadavg), read from inside a container (the views.sh recipe):
#   1. the FUSE requests the kernel sends per cycle, by opcode: a daemon started with
#      -Djlxcfs.fuse.trace=true logs one line "request <OPCODE> <hex>" per request; counted over
#      BENCH_CYCLES cycles of one reader (after as many uncounted ones, so that the caches the
#      kernel keeps for the entry timeouts are warm, as in any steady loop);
#   2. the daemon's system calls per cycle, by name: `strace -c -f -p PID` (all its threads) over
#      BENCH_SECONDS with one reader at full speed, minus the same time idle (no reader: what
#      the daemon's own threads do anyway), divided by the cycles that reader counted. A daemon
#      without the trace (its log writes would count), as `bin/jlxcfs` runs it.
# Run as root from anywhere:
#   sudo bench/requests.sh
# Env: BENCH_CYCLES (200), BENCH_SECONDS (5), BENCH_FILES ("meminfo stat cpuinfo uptime loadavg"),
#      BENCH_READ_SIZE (65536), JLXCFS_OPTS (extra daemon options), JLXCFS_JAVA_OPTS,
#      JLXCFS_BUILD (1; 0 = never build).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
cycles=${BENCH_CYCLES:-200}
secs=${BENCH_SECONDS:-5}
read_size=${BENCH_READ_SIZE:-65536}
read -r -a files <<<"${BENCH_FILES:-meminfo stat cpuinfo uptime loadavg}"
cmdline=$(printf "%q " "$0" "$@"); cmdline=${cmdline% }
envline=
for v in $(compgen -e | grep -E '^(BENCH_[A-Z_]+|JLXCFS_OPTS|JLXCFS_JAVA_OPTS|JLXCFS_BUILD)$' | sort || true); do
  envline+="$v=$(printf '%q' "${!v}") "
done
mem_limit=$((512 * 1024 * 1024))

say() { echo "requests: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "must run as root (sudo $0)"; exit 1; }
[ -e /dev/fuse ] || { say "/dev/fuse is missing"; exit 1; }
for v in "$cycles" "$secs" "$read_size"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || { say "BENCH_CYCLES, BENCH_SECONDS, BENCH_READ_SIZE must be positive integers, got '$v'"; exit 2; }
done
for f in "${files[@]}"; do
  [[ $f =~ ^[a-z]+$ ]] || { say "BENCH_FILES: names of proc files such as meminfo, got '$f'"; exit 2; }
done
have_strace=1
command -v strace >/dev/null || { have_strace=0; say "strace is not installed: system calls are not counted"; }

work=$(mktemp -d /tmp/jlxcfs-requests.XXXXXX)
created_mnts=()   # mount points this script created
created_cgs=()    # cgroup directories this script created, parents first
bg_pids=()        # containers (unshare) this script started
daemon_pid=''     # the jlxcfs daemon running now (bin/jlxcfs execs java: the JVM)
strace_pid=''
keeper_dir=$work/keeper   # our own keeper (never the machine's shared /run/jlxcfs one)
cg_name=jlxcfs-requests-$$
find_cgroup_roots

keeper_pid() { # the pid of our keeper, if it runs (checked against its command line)
  local pid
  [ -f "$keeper_dir/keeper.pid" ] || return 1
  read -r pid <"$keeper_dir/keeper.pid" || return 1
  [[ $pid =~ ^[0-9]+$ ]] && { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "--socket $keeper_dir/keeper.sock" || return 1
  echo "$pid"
}

# Stops the daemon (SIGTERM; it unmounts itself), then SIGKILL after 15 s; unmounts $1 if still mounted.
stop_daemon() {
  local i
  if [ -n "$daemon_pid" ]; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
    daemon_pid=
  fi
  if [ -n "${1:-}" ] && is_mounted "$1"; then umount -l "$1" 2>/dev/null || say "could not unmount $1"; fi
}

# strace first (its tracees stay stopped while it is stopped), then containers, daemon, keeper,
# mounts, cgroups. Safe to run twice.
teardown() {
  local - pid i d left
  set +e
  if [ -n "$strace_pid" ]; then
    kill -INT "$strace_pid" 2>/dev/null
    for ((i = 0; i < 50; i++)); do kill -0 "$strace_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$strace_pid" 2>/dev/null
    wait "$strace_pid" 2>/dev/null
    strace_pid=
  fi
  for ((i = 0; i < 100; i++)); do
    left=$(cg_members)
    [ -n "$left" ] || break
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $left 2>/dev/null
    sleep 0.1
  done
  for pid in "${bg_pids[@]}"; do
    [ "$(ppid_of "$pid")" != $$ ] || kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  bg_pids=()
  stop_daemon
  if pid=$(keeper_pid); then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  for d in "${created_mnts[@]}"; do
    if is_mounted "$d"; then umount -l "$d" 2>/dev/null || say "could not unmount $d"; fi
  done
  remove_cgroups true
}
on_exit_teardown

# --- build: the load generator; jlxcfs if its jar is missing; run from a snapshot of both ---
mkdir -p "$here/target"
cc -O2 -Wall -o "$here/target/opsloop" "$here/opsloop.c"
opsloop=$here/target/opsloop
if [ ! -f "$top/daemon/target/jlxcfs-daemon.jar" ] && [ "${JLXCFS_BUILD:-1}" != 0 ]; then
  say "building jlxcfs (bin/mvnw -q -DskipTests package)..."
  (cd "$top" && bin/mvnw -q -DskipTests package) >"$work/build.log" 2>&1 || { say "build failed: $(tail -n 20 "$work/build.log")"; exit 1; }
fi
[ -f "$top/daemon/target/jlxcfs-daemon.jar" ] || { say "daemon/target/jlxcfs-daemon.jar is missing (JLXCFS_BUILD=0)"; exit 1; }
# A build in the tree during the run must not pull classes from under the running daemon.
snap=$work/snapshot
mkdir -p "$snap/daemon/target"
cp -a "$top/bin" "$snap/bin"
# with the AOT cache when there is one (cp -a keeps the file times bin/jlxcfs compares)
cp -a "$top/daemon/target/jlxcfs-daemon.jar" "$top/daemon/target/lib" $(ls "$top/daemon/target/jlxcfs.aot" 2>/dev/null) "$snap/daemon/target/"

cg_setup_parent
cg_make reader

# Starts a jlxcfs daemon on a fresh mount point $1 with extra JVM options $2, log $work/$3.log;
# waits until it serves proc/meminfo. Our keeper socket, no remount agent (a benchmark must not
# re-bind files in other people's containers).
start_jlxcfs() {
  local mnt=$1 end
  mkdir "$mnt"
  created_mnts+=("$mnt")
  # shellcheck disable=SC2086 # JLXCFS_OPTS is split into words on purpose
  JLXCFS_JAVA_OPTS="${JLXCFS_JAVA_OPTS:-}${2:+ $2}" "$snap/bin/jlxcfs" --keeper-socket="$keeper_dir/keeper.sock" \
    --no-remount ${JLXCFS_OPTS:-} "$mnt" >"$work/$3.log" 2>&1 </dev/null &
  daemon_pid=$!
  end=$((SECONDS + 60))
  until [ -n "$(timeout 2 head -c 1 "$mnt/proc/meminfo" 2>/dev/null)" ]; do
    if ! kill -0 "$daemon_pid" 2>/dev/null || ((SECONDS >= end)); then
      say "jlxcfs did not serve $mnt/proc/meminfo within 60 s; its log ends:"
      tail -n 30 "$work/$3.log" >&2
      exit 1
    fi
    sleep 0.1
  done
}

# Runs opsloop in the container (its cgroups, a fresh pid + mount namespace): $1 = file,
# $2 = seconds, $3 = max cycles (0: no limit). Sets cyc (cycles counted) and errs.
run_reader() {
  local out
  (cg_join reader && exec unshare --pid --fork --kill-child --mount --mount-proc \
    "$opsloop" "$1" "$2" 1 0 "$read_size" "$3") >"$work/opsloop.out" 2>&1 &
  bg_pids+=("$!")
  wait "$!" || true
  bg_pids=()
  out=$(<"$work/opsloop.out")
  cyc=$(sed -n 's/.* ops=\([0-9]*\).*/\1/p' <<<"$out")
  errs=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$out")
  [ -n "$cyc" ] || { say "opsloop on $1 failed: $out"; exit 1; }
}

# Opcode counts of the trace lines of $work/trace.log from line $1 on: "OPCODE count" lines.
opcodes_since() {
  tail -n +"$1" "$work/trace.log" | awk '{
    for (i = 1; i < NF; i++) if ($i == "request") { op = $(i + 1); if (op == "opcode") op = "opcode_" $(i + 2); n[op]++; break }
  } END { for (o in n) print o, n[o] }'
}
lines_of() { wc -l <"$1"; }

# --- 1. FUSE requests per cycle, from the trace ---
declare -A req=() req_cycles=() req_errs=() sys=() sys_cycles=() sys_errs=() idle_calls=()
start_jlxcfs "$work/mnt-trace" -Djlxcfs.fuse.trace=true trace
for f in "${files[@]}"; do
  run_reader "$work/mnt-trace/proc/$f" 60 "$cycles"   # uncounted: warm caches, as in a steady loop
  sleep 0.5   # RELEASE comes after close() returns
  from=$(($(lines_of "$work/trace.log") + 1))
  run_reader "$work/mnt-trace/proc/$f" 60 "$cycles"
  sleep 0.5
  req_cycles[$f]=$cyc req_errs[$f]=$errs
  while read -r op n; do [ -z "$op" ] || req[$f,$op]=$n; done <<<"$(opcodes_since "$from")"
  say "requests: proc/$f: $cyc cycles: $(opcodes_since "$from" | tr '\n' ' ')"
done
stop_daemon "$work/mnt-trace"
jver=$(grep -m1 -o 'jlxcfs: jlxcfs [^,]*' "$work/trace.log" | sed 's/^jlxcfs: //' || true)

# --- 2. system calls per cycle, from strace ---
# strace -c over $1 seconds of the daemon, while "$@" (rest) runs (or sleeping); counts to $work/strace.out.
strace_over() {
  local len=$1 i
  shift
  strace -c -f -p "$daemon_pid" -o "$work/strace.out" 2>"$work/strace.err" &
  strace_pid=$!
  # "Process PID attached with N threads" once it has them all
  for ((i = 0; i < 100; i++)); do
    ! grep -q 'attached' "$work/strace.err" 2>/dev/null || break
    sleep 0.1
  done
  sleep 0.2
  if (($#)); then "$@"; else sleep "$len"; fi
  kill -INT "$strace_pid" 2>/dev/null || true
  wait "$strace_pid" 2>/dev/null || true
  strace_pid=
}
# "name calls" per system call from $work/strace.out (strace -c's table).
strace_calls() {
  awk '/^-+/ { sep++; next } sep == 1 && NF >= 5 && $4 ~ /^[0-9]+$/ { print $NF, $4 }' "$work/strace.out" 2>/dev/null
}
if ((have_strace)); then
  start_jlxcfs "$work/mnt-plain" "" plain
  for f in "${files[@]}"; do
    run_reader "$work/mnt-plain/proc/$f" 2 0   # warm-up: the JIT, the caches
    strace_over "$secs"
    while read -r name n; do [ -z "$name" ] || idle_calls[$f,$name]=$n; done <<<"$(strace_calls)"
    strace_over "$secs" run_reader "$work/mnt-plain/proc/$f" "$secs" 0
    sys_cycles[$f]=$cyc sys_errs[$f]=$errs
    while read -r name n; do [ -z "$name" ] || sys[$f,$name]=$n; done <<<"$(strace_calls)"
    say "syscalls: proc/$f: $cyc cycles under strace: $(strace_calls | sort -k2,2nr | head -n 6 | tr '\n' ' ')"
  done
  threads=$(ls "/proc/$daemon_pid/task" | wc -l)
  stop_daemon "$work/mnt-plain"
fi
teardown

# --- report ---
per() { awk -v n="$1" -v c="$2" 'BEGIN { if (c > 0) printf "%.2f", n / c; else print "n/a" }'; }
bad=0
echo
echo "## jlxcfs: FUSE requests and daemon system calls per open/read/close cycle"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- kernel: $(uname -r), CPUs: $(nproc); FUSE over io_uring offered by the kernel: $(cat /sys/module/fuse/parameters/enable_uring 2>/dev/null || echo 'no parameter')"
echo "- command: ${envline}${cmdline}"
echo "- jlxcfs: ${jver:-?} from daemon/target/jlxcfs-daemon.jar of $(stat -c '%y' "$top/daemon/target/jlxcfs-daemon.jar" | cut -d. -f1) (run from a copy), source tree at $(git -C "$top" describe --always --dirty 2>/dev/null || echo 'unknown revision'): \`bin/jlxcfs --keeper-socket=TMP --no-remount ${JLXCFS_OPTS:+$JLXCFS_OPTS }MNT\`${JLXCFS_JAVA_OPTS:+, JLXCFS_JAVA_OPTS='$JLXCFS_JAVA_OPTS'}"
echo "- reader: one process, pid 1 of \`unshare --pid --fork --kill-child --mount --mount-proc\` in cgroups of its own ($cg_mode, memory limit $((mem_limit >> 20)) MiB), open(MNT/proc/FILE) / read($read_size) / close in a loop (bench/opsloop.c)"
echo
echo "### 1. FUSE requests per cycle, by opcode"
echo
echo "Daemon run with \`-Djlxcfs.fuse.trace=true\`; $cycles cycles counted per file after $cycles uncounted ones (the"
echo "kernel's entry and attribute caches as in a steady loop); requests logged from the first counted cycle until 0.5 s after the last."
echo
ops=$(for k in "${!req[@]}"; do echo "${k#*,}"; done | sort -u)
# opcodes in the order of a cycle, then the rest alphabetically
order=$(for o in LOOKUP GETATTR OPEN READ FLUSH RELEASE; do grep -qx "$o" <<<"$ops" && echo "$o"; done; grep -vxE 'LOOKUP|GETATTR|OPEN|READ|FLUSH|RELEASE' <<<"$ops" || true)
hdr="| file | cycles | requests per cycle |" sep="|---|---:|---:|"
for o in $order; do hdr+=" $o |"; sep+="---:|"; done
echo "$hdr"
echo "$sep"
for f in "${files[@]}"; do
  total=0
  for o in $order; do total=$((total + ${req[$f,$o]:-0})); done
  row="| proc/$f | ${req_cycles[$f]:-n/a} | **$(per "$total" "${req_cycles[$f]:-0}")** |"
  for o in $order; do row+=" $(per "${req[$f,$o]:-0}" "${req_cycles[$f]:-0}") |"; done
  echo "$row"
  [ "${req_errs[$f]:-0}" = 0 ] || { bad=1; echo "(proc/$f: ${req_errs[$f]} failed or empty cycles (!))"; }
done
echo
echo "### 2. daemon system calls per cycle, by name"
echo
if ((!have_strace)); then
  echo "not measured: strace is not installed"
else
  echo "\`strace -c -f -p PID\` (all $threads threads of the daemon, a daemon without the trace) over ${secs} s with one reader"
  echo "at full speed (slowed down by strace; the counts per cycle are what matter), minus the same ${secs} s idle just before"
  echo "(the daemon's own threads: sampler, timers, GC), divided by the cycles that reader counted. Cycles under strace: $(for f in "${files[@]}"; do printf '%s %s, ' "$f" "${sys_cycles[$f]:-n/a}"; done | sed 's/, $//')."
  echo
  names=$(for k in "${!sys[@]}" "${!idle_calls[@]}"; do echo "${k#*,}"; done | sort -u)
  hdr="| system call |" sep="|---|"
  for f in "${files[@]}"; do hdr+=" proc/$f |"; sep+="---:|"; done
  echo "$hdr"
  echo "$sep"
  # rows by the sum over the files, largest first
  declare -A net=()
  rows=$(for n in $names; do
    s=0
    for f in "${files[@]}"; do
      net[$f,$n]=$(awk -v a="${sys[$f,$n]:-0}" -v b="${idle_calls[$f,$n]:-0}" -v c="${sys_cycles[$f]:-0}" 'BEGIN { if (c > 0) printf "%.2f", (a - b) / c; else print 0 }')
      s=$(awk -v a="$s" -v b="${net[$f,$n]}" 'BEGIN { print a + b }')
    done
    row="| $n |" big=0
    for f in "${files[@]}"; do
      row+=" ${net[$f,$n]} |"
      ! awk -v v="${net[$f,$n]}" 'BEGIN { exit !(v >= 0.05 || v <= -0.05) }' || big=1
    done
    ((big)) || continue   # below 0.05 per cycle in every file: background noise the idle run did not cancel
    echo "$s $row"
  done | sort -k1,1gr | cut -d' ' -f2-)
  totals="| **total** |" idles="| idle calls in ${secs} s (all names) |"
  for f in "${files[@]}"; do
    a=0 b=0
    for n in $names; do a=$((a + ${sys[$f,$n]:-0})); b=$((b + ${idle_calls[$f,$n]:-0})); done
    totals+=" **$(awk -v a="$a" -v b="$b" -v c="${sys_cycles[$f]:-0}" 'BEGIN { if (c > 0) printf "%.2f", (a - b) / c; else print "n/a" }')** |"
    idles+=" $b |"
    [ "${sys_errs[$f]:-0}" = 0 ] || bad=1
  done
  echo "$totals"
  echo "$rows"
  echo "$idles"
  echo
  echo "(system calls under 0.05 per cycle in every file are left out of the table but counted in the total)"
  for f in "${files[@]}"; do [ "${sys_errs[$f]:-0}" = 0 ] || echo "(proc/$f: ${sys_errs[$f]} failed or empty cycles under strace (!))"; done
fi
if ((bad)); then
  echo
  echo "**WARNING: failed or empty reads above: the counts concerned are not valid.**"
  exit 1
fi
