#!/usr/bin/env bash
# Container views benchmark: jlxcfs against LXCFS as seen from inside a container.
#   1. open/read/close ops/s on proc/meminfo, proc/stat, proc/cpuinfo, proc/uptime, proc/loadavg
#      with 1, 2 and 8 readers in a container (own cgroups, own pid + mount namespaces) for jlxcfs,
#      LXCFS and the host's /proc (the floor), interleaved rounds, medians; goal jlxcfs >= 2x LXCFS;
#   2. jlxcfs daemon RSS (goal <= 48 MiB) and thread count after at least 1,000,000 reads;
#   3. scale: BENCH_CONTAINERS containers known to the loadavg sampler: proc/meminfo read cost
#      in one container with 1 container vs with all of them, and the sampler's idle CPU use.
# Run as root from anywhere:
#   sudo bench/views.sh
# Env: BENCH_SECONDS (3), BENCH_WARMUP (1), BENCH_REPEAT (3), BENCH_READERS ("1 2 8"),
#      BENCH_CONTAINERS (300), BENCH_IDLE_SECONDS (30), BENCH_READ_SIZE (65536), BENCH_READS (1000000),
#      BENCH_FILES ("meminfo stat cpuinfo uptime loadavg": files under proc/ for step 1),
#      BENCH_STEPS ("1 2 3"; e.g. "1" for the ops/s table alone),
#      JLXCFS_OPTS (extra daemon options), JLXCFS_JAVA_OPTS, JLXCFS_BUILD (1; 0 = never build),
#      LXCFS_BIN (/usr/bin/lxcfs), LXCFS_MNT (a running LXCFS to use; default: /var/lib/lxcfs if
#      mounted, else one started by this script).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
secs=${BENCH_SECONDS:-3}
warmup=${BENCH_WARMUP:-1}
repeat=${BENCH_REPEAT:-3}
ncontainers=${BENCH_CONTAINERS:-300}
idle_secs=${BENCH_IDLE_SECONDS:-30}
read_size=${BENCH_READ_SIZE:-65536}
min_reads=${BENCH_READS:-1000000}
lxcfs_bin=${LXCFS_BIN:-/usr/bin/lxcfs}
cmdline=$(printf "%q " "$0" "$@"); cmdline=${cmdline% }
envline=
for v in $(compgen -e | grep -E '^(BENCH_[A-Z_]+|JLXCFS_OPTS|JLXCFS_JAVA_OPTS|JLXCFS_BUILD|LXCFS_BIN|LXCFS_MNT)$' | sort || true); do
  envline+="$v=$(printf '%q' "${!v}") "
done

files=()
for f in ${BENCH_FILES:-meminfo stat cpuinfo uptime loadavg}; do
  case $f in meminfo | stat | cpuinfo | uptime | loadavg) files+=("proc/$f") ;;
  *) echo "views: BENCH_FILES: unknown file '$f' (meminfo stat cpuinfo uptime loadavg)" >&2; exit 2 ;;
  esac
done
steps=" ${BENCH_STEPS:-1 2 3} "   # which of the three parts run (the probe always runs)
step() { [[ $steps == *" $1 "* ]]; }
read -r -a readers_list <<<"${BENCH_READERS:-1 2 8}"
ratio_goal=2.0                       # issue 11: jlxcfs >= 2x LXCFS on every file at every reader count
targets=(jlxcfs lxcfs host)
mem_limit=$((512 * 1024 * 1024))     # each container's memory limit
rss_goal_kib=$((48 * 1024))        # issue 11: <= 48 MiB after 1 M reads and with 300 containers
sampler_thread=jlxcfs-loadavg        # LoadavgSampler's thread name (/proc/PID/task/TID/comm)

say() { echo "views: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "must run as root (sudo $0)"; exit 1; }
[ -e /dev/fuse ] || { say "/dev/fuse is missing"; exit 1; }
for v in "$secs" "$warmup" "$repeat" "$ncontainers" "$idle_secs" "$read_size" "$min_reads"; do
  [[ $v =~ ^[0-9]+$ ]] || { say "BENCH_* settings must be non-negative integers, got '$v'"; exit 2; }
done
((secs > 0 && repeat > 0 && ncontainers > 0 && read_size > 0)) || { say "BENCH_SECONDS, BENCH_REPEAT, BENCH_CONTAINERS, BENCH_READ_SIZE must be > 0"; exit 2; }
((${#readers_list[@]} > 0)) || { say "BENCH_READERS must list reader counts, e.g. \"1 2 8\""; exit 2; }
for v in "${readers_list[@]}"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] && ((v <= 64)) || { say "BENCH_READERS: reader counts must be 1..64, got '$v'"; exit 2; }
done

load_start=$(cut -d' ' -f1-4 /proc/loadavg)   # other work on the machine skews every number
work=$(mktemp -d /tmp/jlxcfs-views.XXXXXX)
started_pids=()   # daemons this script started
bg_pids=()        # container processes and readers this script started (all inside our cgroups)
created_mnts=()   # mount points this script created
created_cgs=()    # cgroup directories this script created, parents first


# --- cgroups: one parent per hierarchy (jlxcfs-views-PID), one child per container ---
cg_name=jlxcfs-views-$$
find_cgroup_roots

# jlxcfs's keeper (holds the FUSE connection across daemon restarts) is started by the daemon,
# detached, when none answers on its socket. We give the daemon a socket of our own, so that the
# keeper is ours: never the machine's shared /run/jlxcfs one, and stopped with the rest.
keeper_dir=
keeper_pid() { # the pid of our keeper, if it runs (checked against its command line)
  local pid
  [ -n "$keeper_dir" ] && [ -f "$keeper_dir/keeper.pid" ] || return 1
  read -r pid <"$keeper_dir/keeper.pid" || return 1
  [[ $pid =~ ^[0-9]+$ ]] && { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "--socket $keeper_dir/keeper.sock" || return 1
  echo "$pid"
}
stop_keeper() {
  local pid i
  pid=$(keeper_pid) || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
}

# Kills every container and reader, stops the daemons, unmounts, removes the cgroups. Safe to
# run twice: what it has removed it forgets.
teardown() {
  local - pid i d left
  set +e
  # 1. containers and readers: SIGKILL everything in our cgroups until they are empty. First
  # what runs under our own children (unshare, nsenter), so that those reap it (an orphaned
  # namespace init would wait for the host's pid 1 to reap it), then the rest.
  for ((i = 0; i < 100; i++)); do
    left=$(cg_members)
    [ -n "$left" ] || break
    if ((i < 20)); then
      for pid in $left; do [ "$(ppid_of "$pid")" = $$ ] || kill -KILL "$pid" 2>/dev/null; done
    else
      # shellcheck disable=SC2086 # one pid per word
      kill -KILL $left 2>/dev/null
    fi
    sleep 0.1
  done
  [ -z "$(cg_members)" ] || say "WARNING: processes left in our cgroups: $(cg_members | tr '\n' ' ')"
  # Stragglers not in a cgroup yet: still our children (so not a reused pid) or already gone.
  for pid in "${bg_pids[@]}"; do
    [ "$(ppid_of "$pid")" != $$ ] || kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  bg_pids=()
  # 2. daemons (jlxcfs unmounts itself on SIGTERM).
  for pid in "${started_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || continue
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  started_pids=()
  stop_keeper
  for d in "${created_mnts[@]}"; do
    if is_mounted "$d"; then umount -l "$d" 2>/dev/null || say "could not unmount $d"; fi
  done
  # 3. cgroups
  remove_cgroups true
}

on_exit_teardown

# Runs "$@" as pid 1 of fresh pid + mount namespaces (own /proc) inside container $1's cgroups,
# in the background; sets bg_pid (the unshare process).
in_container() {
  local name=$1
  shift
  (cg_join "$name" && exec unshare --pid --fork --kill-child --mount --mount-proc "$@") &
  bg_pid=$!
  bg_pids+=("$bg_pid")
}

# Waits for background pid $1 and forgets it; returns its status.
reap() {
  local rc=0
  wait "$1" 2>/dev/null || rc=$?
  local i
  for i in "${!bg_pids[@]}"; do [ "${bg_pids[i]}" != "$1" ] || unset 'bg_pids[i]'; done
  return $rc
}

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
    say "pid $pid ignored SIGTERM for 15 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  for i in "${!started_pids[@]}"; do [ "${started_pids[i]}" != "$pid" ] || unset 'started_pids[i]'; done
  if is_mounted "$mnt"; then
    say "WARNING: $mnt still mounted after its daemon exited; umount -l"
    umount -l "$mnt" || true
  fi
}

failed_logs=()  # logs to print with the report
show_log() { case " ${failed_logs[*]} " in *" $1 "*) ;; *) failed_logs+=("$1") ;; esac; }
notes=()        # problems found, printed at the end
problem() { notes+=("$1"); say "PROBLEM: $1"; }

# Daemon status field $2 (VmRSS, Threads) of pid $1, as a number.
status_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
# Thread names of pid $1 grouped, trailing digits stripped: "fuse-worker-×2, C2 CompilerThre×1, ...".
thread_names() {
  local t
  for t in /proc/"$1"/task/*/comm; do cat "$t" 2>/dev/null; done | sed 's/[0-9]*$//' | sort | uniq -c |
    awk '{ n = $1; $1 = ""; sub(/^ /, ""); printf "%s%s×%d", (NR > 1 ? ", " : ""), $0, n }'
}
# CPU time of pid $1 (all its threads) in ns: the sum of its threads' schedstat (ns; threads
# that exit meanwhile are lost, not an issue when idle), else utime + stime (10 ms ticks).
proc_cpu_ns() {
  local s
  if [ -r "/proc/$1/schedstat" ]; then
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ t += $1 } END { if (NR) printf "%.0f\n", t; else exit 1 }' && return 0
  fi
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f\n", ($12 + $13) * 1e9 / hz }' <<<"$s"
}
# CPU time of thread $2 of pid $1 in ns: schedstat (ns) if the kernel has it, else utime + stime.
thread_cpu_ns() {
  local s
  if s=$(cat "/proc/$1/task/$2/schedstat" 2>/dev/null) && [ -n "$s" ]; then
    echo "${s%% *}"
    return 0
  fi
  s=$(cat "/proc/$1/task/$2/stat" 2>/dev/null) || return 1
  s=${s##*) }
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f\n", ($12 + $13) * 1e9 / hz }' <<<"$s"
}
find_thread() { # pid $1, thread name $2 -> tid
  local t
  for t in /proc/"$1"/task/*; do
    [ "$(cat "$t/comm" 2>/dev/null)" != "$2" ] || { echo "${t##*/}"; return 0; }
  done
  return 1
}

ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }   # a >= b (floats)
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# --- build the load generator ---
mkdir -p "$here/target"
cc -O2 -Wall -o "$here/target/opsloop" "$here/opsloop.c"
opsloop=$here/target/opsloop

# Runs opsloop in a fresh container of cgroup $1 ("$2" = file, $3 = seconds, $4 = readers,
# $5 = warmup); sets ops (per s), cnt (cycles counted) and errs (errs = 1, ops = cnt = 0 if
# opsloop failed).
run_opsloop() {
  local out=
  in_container "$1" "$opsloop" "$2" "$3" "$4" "$5" "$read_size" >"$work/opsloop.out"
  if reap "$bg_pid"; then out=$(<"$work/opsloop.out"); fi
  opsloop_line=${out:-opsloop failed}
  ops=$(sed -n 's/.*ops_per_s=\([0-9.]*\).*/\1/p' <<<"$out")
  errs=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$out")
  cnt=$(sed -n 's/.* ops=\([0-9]*\).*/\1/p' <<<"$out")
  [ -n "$ops" ] || { ops=0; errs=${errs:-1}; }
  cnt=${cnt:-0}
}

declare -A prefix=()   # target -> directory holding proc/..., for targets that are up
prefix[host]=/

# --- jlxcfs ---
jlxcfs_pid='' jlxcfs_mnt='' jlxcfs_note='' jlxcfs_died=0 snap=''
if [ ! -f "$top/daemon/target/jlxcfs-daemon.jar" ] && [ "${JLXCFS_BUILD:-1}" != 0 ]; then
  say "building jlxcfs (bin/mvnw -q -DskipTests package)..."
  if ! (cd "$top" && bin/mvnw -q -DskipTests package) >"$work/build.log" 2>&1; then
    jlxcfs_note="FAILED: build failed (log at the end)"
    problem "jlxcfs: build failed (bin/mvnw -q -DskipTests package)"
    show_log build
  fi
fi
if [ -z "$jlxcfs_note" ]; then
  # Run a snapshot of the launcher, jar and libs: a build in the tree during the run (the
  # tree is shared with development) must not pull classes from under the running daemon.
  snap=$work/snapshot
  mkdir -p "$snap/daemon/target"
  cp -a "$top/bin" "$snap/bin"
  # with the AOT cache when there is one (cp -a keeps the file times bin/jlxcfs compares)
  cp -a "$top/daemon/target/jlxcfs-daemon.jar" "$top/daemon/target/lib" $(ls "$top/daemon/target/jlxcfs.aot" 2>/dev/null) "$snap/daemon/target/" 2>/dev/null ||
    say "WARNING: could not snapshot daemon/target (missing jar?)"
  jlxcfs_bin=$snap/bin/jlxcfs
  jlxcfs_mnt=$work/jlxcfs
  # Our own keeper (see keeper_pid) and no remount agent: a benchmark must not re-bind files in
  # other people's containers (the agent repairs stale jlxcfs/LXCFS binds machine-wide).
  keeper_opt=()
  jlxcfs_help=$("$jlxcfs_bin" --help 2>&1 || true)
  case " ${JLXCFS_OPTS:-} " in
    *" --no-keeper "* | *" --keeper-socket"*) ;;  # the caller decides
    *)
      if grep -q -- --keeper-socket <<<"$jlxcfs_help"; then
        keeper_dir=$work/keeper
        keeper_opt+=(--keeper-socket="$keeper_dir/keeper.sock")
      fi ;;
  esac
  if grep -q -- --no-remount <<<"$jlxcfs_help" && [[ " ${JLXCFS_OPTS:-} " != *" --no-remount "* ]]; then
    keeper_opt+=(--no-remount)
  fi
  # shellcheck disable=SC2086 # JLXCFS_OPTS is split into words on purpose
  start_daemon jlxcfs "$jlxcfs_mnt" "$jlxcfs_bin" "${keeper_opt[@]}" ${JLXCFS_OPTS:-} "$jlxcfs_mnt"
  jlxcfs_pid=$started_pid   # bin/jlxcfs execs java: this is the JVM's pid
  if wait_readable "$jlxcfs_mnt/proc/meminfo" "$jlxcfs_pid"; then
    prefix[jlxcfs]=$jlxcfs_mnt
  else
    jlxcfs_note="FAILED: $wait_error (log at the end)"
    problem "jlxcfs did not start: $wait_error"
    show_log jlxcfs
    stop_daemon "$jlxcfs_pid" "$jlxcfs_mnt"
    jlxcfs_pid=
  fi
fi
declare -A jstat=()    # phase -> "rss_kib threads"
jlxcfs_sample() {      # $1 = phase name: records VmRSS and Threads of the daemon now
  [ -n "$jlxcfs_pid" ] && kill -0 "$jlxcfs_pid" 2>/dev/null || return 0
  jstat[$1]="$(status_field "$jlxcfs_pid" VmRSS) $(status_field "$jlxcfs_pid" Threads) $(status_field "$jlxcfs_pid" RssAnon) $(status_field "$jlxcfs_pid" RssFile)"
  jnames[$1]=$(thread_names "$jlxcfs_pid")
  local k
  if k=$(keeper_pid); then kstat[$1]="$(status_field "$k" VmRSS) $(status_field "$k" Threads)"; fi
}
declare -A kstat=()
declare -A jnames=()
jlxcfs_alive() {       # true while our jlxcfs runs; reports its death once
  [ -n "$jlxcfs_pid" ] || return 1
  kill -0 "$jlxcfs_pid" 2>/dev/null && return 0
  local rc=0
  wait "$jlxcfs_pid" 2>/dev/null || rc=$?
  problem "jlxcfs daemon died (status $rc) during the run (log at the end)"
  jlxcfs_died=1
  show_log jlxcfs
  jlxcfs_pid=
  unset 'prefix[jlxcfs]'
  return 1
}
jlxcfs_sample start

# --- LXCFS: reuse the running one (never touched), else start our own ---
# "The running one" is the machine's LXCFS, at /var/lib/lxcfs (or LXCFS_MNT): fuse.lxcfs mounts
# elsewhere (other tools' temporary instances, which may be restarted under us) are left alone.
lxcfs_pid='' lxcfs_mnt='' lxcfs_note=''
lxcfs_mounts=$(awk -v w="$work/" 'index($5, w) != 1 { for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "fuse.lxcfs") print $5; break } }' \
  /proc/self/mountinfo)
existing=$(grep -Fx -- "${LXCFS_MNT:-/var/lib/lxcfs}" <<<"$lxcfs_mounts" || true)
others=$(grep -Fxv -- "${LXCFS_MNT:-/var/lib/lxcfs}" <<<"$lxcfs_mounts" | tr '\n' ' ' || true)
[ -z "${others// /}" ] || say "other LXCFS mounts, not used and left alone: $others"
if [ -n "${LXCFS_MNT:-}" ] && [ -z "$existing" ]; then
  say "LXCFS_MNT=$LXCFS_MNT is not a fuse.lxcfs mount point"
  exit 2
fi
if [ -n "$existing" ] && [ -n "$(timeout 2 head -c 1 "$existing/proc/meminfo" 2>/dev/null)" ]; then
  prefix[lxcfs]=$existing
  lxcfs_note="existing mount $existing (not started or stopped by this script)"
  say "using the running LXCFS at $existing (not started or stopped by this script)"
elif [ ! -x "$lxcfs_bin" ]; then
  lxcfs_note="not installed ($lxcfs_bin missing; apt-get install lxcfs)"
  say "LXCFS is not installed ($lxcfs_bin missing); skipping that target"
else
  lxcfs_mnt=$work/lxcfs
  start_daemon lxcfs "$lxcfs_mnt" "$lxcfs_bin" -f -l --pidfile="$work/lxcfs.pid" "$lxcfs_mnt"
  lxcfs_pid=$started_pid
  if wait_readable "$lxcfs_mnt/proc/meminfo" "$lxcfs_pid"; then
    prefix[lxcfs]=$lxcfs_mnt
    lxcfs_note="LXCFS $("$lxcfs_bin" --version 2>&1 | head -n 1 | tr -d '"'), started by this script: lxcfs -f -l --pidfile=F MNT"
  else
    lxcfs_note="FAILED: $wait_error (log at the end)"
    say "LXCFS: $wait_error"
    show_log lxcfs
  fi
fi

cg_setup_parent
cg_make reader

# --- what the container sees: does one read() of READ_SIZE return the whole file (a second
# read() then returns 0: dd counts "0+1 records in"), and key values ---
probe_dir=$work/probe
mkdir "$probe_dir"
probe_args=()
for t in "${targets[@]}"; do [ -z "${prefix[$t]:-}" ] || probe_args+=("$t" "${prefix[$t]}"); done
# shellcheck disable=SC2016 # expanded by the container's sh
in_container reader sh -c '
  rs=$1 out=$2; shift 2
  while [ $# -ge 2 ]; do
    t=$1 p=$2; shift 2
    for f in meminfo stat cpuinfo uptime loadavg; do
      timeout 10 dd if="$p/proc/$f" of="$out/$t.$f" bs="$rs" count=2 2>"$out/$t.$f.dd"
    done
  done' sh "$read_size" "$probe_dir" "${probe_args[@]}"
reap "$bg_pid" || problem "the view probe in the container failed (status $?)"
ncpu=$(getconf _NPROCESSORS_ONLN)   # the containers' cpuset: all online CPUs
declare -A seen=()   # target,key -> value
views_bad=0
for t in "${targets[@]}"; do
  [ -n "${prefix[$t]:-}" ] || continue
  for f in meminfo stat cpuinfo uptime loadavg; do
    size=$(wc -c <"$probe_dir/$t.$f" 2>/dev/null || echo 0)
    recs=$(sed -n 's/^\([0-9]*+[0-9]*\) records in$/\1/p' "$probe_dir/$t.$f.dd" 2>/dev/null)
    if [ "$size" -gt 0 ] && [ "$recs" = 0+1 ]; then
      seen[$t,$f.bytes]="$size in 1 read"
    else
      seen[$t,$f.bytes]="$size in ${recs:-?} reads (!)"
      why=$(grep -v 'records\|copied' "$probe_dir/$t.$f.dd" 2>/dev/null | head -n 1 || true)
      [ "$t" = host ] || problem "$t proc/$f from the container: not one read($read_size) for the whole file: $size bytes, dd records in: ${recs:-none}${why:+; $why}"
      [ "$t" != jlxcfs ] || views_bad=1
    fi
  done
  seen[$t,mem]=$(awk '$1 == "MemTotal:" { print $2 " " $3 }' "$probe_dir/$t.meminfo" 2>/dev/null)
  seen[$t,stat]=$(grep -c '^cpu[0-9]' "$probe_dir/$t.stat" 2>/dev/null || true)
  seen[$t,cpuinfo]=$(grep -c '^processor' "$probe_dir/$t.cpuinfo" 2>/dev/null || true)
  seen[$t,uptime]=$(awk '{ print $1 }' "$probe_dir/$t.uptime" 2>/dev/null)
  seen[$t,loadavg]=$(head -c 80 "$probe_dir/$t.loadavg" 2>/dev/null | head -n 1)
  [ "$t" != host ] || continue
  # Expected inside the container: its memory limit, all CPUs (no quota, full cpuset), its own age.
  if [ "${seen[$t,mem]}" != "$((mem_limit / 1024)) kB" ]; then
    problem "$t proc/meminfo from the container: MemTotal '${seen[$t,mem]}', expected $((mem_limit / 1024)) kB (the container's limit)"
    seen[$t,mem]+=" (!)"; [ "$t" != jlxcfs ] || views_bad=1
  fi
  for k in stat cpuinfo; do
    if [ "${seen[$t,$k]}" != "$ncpu" ]; then
      problem "$t proc/$k from the container: ${seen[$t,$k]:-no} CPUs, expected $ncpu"
      seen[$t,$k]+=" (!)"; [ "$t" != jlxcfs ] || views_bad=1
    fi
  done
  if [ -z "${seen[$t,uptime]}" ] || ! ge 60 "${seen[$t,uptime]}"; then
    problem "$t proc/uptime from a container started just now: '${seen[$t,uptime]}' s, expected the container's age (< 60 s)"
    seen[$t,uptime]+=" (!)"; [ "$t" != jlxcfs ] || views_bad=1
  fi
  # "L1 L5 L15 running/total lastpid": in a container started just now, its own few tasks
  if ! awk 'NF != 5 || $4 !~ /^[0-9]+\/[0-9]+$/ { exit 1 }' <<<"${seen[$t,loadavg]}"; then
    problem "$t proc/loadavg from the container: '${seen[$t,loadavg]}', expected 'L1 L5 L15 running/total lastpid'"
    seen[$t,loadavg]+=" (!)"; [ "$t" != jlxcfs ] || views_bad=1
  fi
done

# --- 1. measure: REPEAT rounds, each round runs every (file, readers, target) once ---
declare -A samples=() errs_of=() cpu_us=()
jlxcfs_reads=0   # counted reads through jlxcfs (warmups not included)
lxcfs_reads=0    # the same through LXCFS
for ((rep = 1; rep <= repeat; rep++)); do
  step 1 || break
  for f in "${files[@]}"; do
    for p in "${readers_list[@]}"; do
      for t in "${targets[@]}"; do
        [ -n "${prefix[$t]:-}" ] || continue
        [ "$t" != jlxcfs ] || jlxcfs_alive || continue
        # the daemon's CPU time over the run (warmup included) per read: what decides once the
        # CPUs are saturated, and less skewed by other work on the machine than ops/s
        dpid=
        case $t in jlxcfs) dpid=$jlxcfs_pid ;; lxcfs) dpid=$lxcfs_pid ;; esac
        c0=$([ -z "$dpid" ] || proc_cpu_ns "$dpid" || true)
        run_opsloop reader "${prefix[$t]%/}/$f" "$secs" "$p" "$warmup"
        c1=$([ -z "$dpid" ] || proc_cpu_ns "$dpid" || true)
        us=
        if [ -n "$c0" ] && [ -n "$c1" ] && [ "${ops%.*}" -gt 0 ]; then
          us=$(awk -v a="$c0" -v b="$c1" -v r="$ops" -v s="$((secs + warmup))" 'BEGIN { printf "%.1f", (b - a) / 1e3 / (r * s) }')
          cpu_us[$f,$p,$t]+="$us "
        fi
        say "round $rep/$repeat $f readers=$p $t: $opsloop_line${us:+ daemon_cpu_us_per_read=$us}"
        samples[$f,$p,$t]+="$ops "
        errs_of[$f,$p,$t]=$((${errs_of[$f,$p,$t]:-0} + errs))
        [ "$t" != jlxcfs ] || jlxcfs_reads=$((jlxcfs_reads + cnt))
        [ "$t" != lxcfs ] || lxcfs_reads=$((lxcfs_reads + cnt))
      done
    done
  done
done

# --- 2. jlxcfs footprint after at least BENCH_READS reads ---
if step 2 && jlxcfs_alive; then
  jlxcfs_sample bench
  # Top up with the most readers of step 1 (at most 8: the highest rate), a pass per file, each
  # sized from its rate in step 1 and what is still missing (1..120 s).
  topup_p=1
  for p in "${readers_list[@]}"; do ((p > 8 || p <= topup_p)) || topup_p=$p; done
  while jlxcfs_alive && ((jlxcfs_reads < min_reads)); do
    left=${#files[@]}   # passes left in this round: each takes its share of what is missing
    for f in "${files[@]}"; do
      rem=$((min_reads - jlxcfs_reads))
      rate=$(median <<<"${samples[$f,$topup_p,jlxcfs]:-}")
      t=$(awk -v r="$rem" -v n="$left" -v q="${rate:-0}" \
        'BEGIN { s = q > 0 ? int(r / n / q + 1) : 1; print (s < 1 ? 1 : s > 120 ? 120 : s) }')
      run_opsloop reader "${prefix[jlxcfs]}/$f" "$t" "$topup_p" 0
      say "reads top-up: $f ${t}s readers=$topup_p: $opsloop_line"
      jlxcfs_reads=$((jlxcfs_reads + cnt)) left=$((left - 1))
      errs_of[topup]=$((${errs_of[topup]:-0} + errs))
      ((ops > 0)) || break 2
      ((jlxcfs_reads < min_reads)) || break
    done
  done
  jlxcfs_sample reads
fi

# LXCFS is not part of the scale test: stop ours now so it does not compete for CPU. Its RSS
# after step 1 is the footprint's yardstick (only ours: a running one's pid is not known here).
lxcfs_rss=$([ -z "$lxcfs_pid" ] || status_field "$lxcfs_pid" VmRSS)
if [ -n "$lxcfs_pid" ]; then stop_daemon "$lxcfs_pid" "$lxcfs_mnt"; lxcfs_pid=; fi

# --- 3. scale: containers each holding one sleeping process, each read once through jlxcfs ---
declare -A scale=()
scale_note=
# Starts container c$1 in the background: own cgroups, own pid namespace, reads proc/loadavg
# once through jlxcfs (the answer goes to $work/la/c$1), then sleeps as the namespace's pid 1.
start_sleeper() {
  local name=c$1
  cg_make "$name"
  # shellcheck disable=SC2016 # expanded by the container's sh
  (cg_join "$name" && exec unshare --pid --fork --kill-child sh -c \
    'if read -r l <"$1"; then echo "$l"; else echo ERROR; fi >"$2.tmp"; mv "$2.tmp" "$2"; exec sleep 100000' \
    sh "${prefix[jlxcfs]}/proc/loadavg" "$work/la/$name") </dev/null >/dev/null 2>&1 &
  sleeper_pid[$1]=$!
  disown "$!"   # never waited for (killed through its cgroups): no job notices
}
declare -a sleeper_pid=()
# Waits up to 60 s until containers $1..$2-1 have read loadavg; sets la_ok and la_bad.
wait_sleepers() {
  local from=$1 to=$2 end=$((SECONDS + 60)) n i
  while :; do
    n=0
    for ((i = from; i < to; i++)); do [ ! -f "$work/la/c$i" ] || n=$((n + 1)); done
    if ((n >= to - from || SECONDS >= end)) || ! jlxcfs_alive; then break; fi
    sleep 0.2
  done
  la_ok=0 la_bad=0
  for ((i = from; i < to; i++)); do
    if [ -f "$work/la/c$i" ] && [ "$(<"$work/la/c$i")" != ERROR ]; then la_ok=$((la_ok + 1)); else la_bad=$((la_bad + 1)); fi
  done
}
# pid 1 of container c$1's pid namespace (host pid): the child of its unshare.
sleeper_init() {
  local i c
  for ((i = 0; i < 50; i++)); do
    c=$(cat "/proc/${sleeper_pid[$1]}/task/${sleeper_pid[$1]}/children" 2>/dev/null || pgrep -P "${sleeper_pid[$1]}" || true)
    c=${c%% *}
    [ -z "$c" ] || { echo "$c"; return 0; }
    sleep 0.1
  done
  return 1
}
# Measures proc/meminfo ops/s with 1 reader entered into container c0 (its cgroups and pid
# namespace, like `docker exec`), REPEAT times; appends to scale[$1].
measure_c0() {
  local r out
  for ((r = 1; r <= repeat; r++)); do
    jlxcfs_alive || return 0
    out=
    (cg_join c0 && exec nsenter --target "$c0_init" --pid -- \
      "$opsloop" "${prefix[jlxcfs]}/proc/meminfo" "$secs" 1 "$warmup" "$read_size") >"$work/opsloop.out" &
    bg_pids+=("$!")
    if reap "$!"; then out=$(<"$work/opsloop.out"); fi
    say "scale ($1 containers) run $r/$repeat proc/meminfo readers=1 in c0: ${out:-opsloop failed}"
    ops=$(sed -n 's/.*ops_per_s=\([0-9.]*\).*/\1/p' <<<"$out")
    e=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$out")
    [ -n "$ops" ] || { ops=0; e=${e:-1}; }
    scale[$1]+="$ops "
    errs_of[scale,$1]=$((${errs_of[scale,$1]:-0} + e))
  done
}
# Daemon and sampler-thread CPU over $2 idle seconds with $1 containers, as % of one core;
# sets scale[$1,wall|daemon|sampler|pass].
measure_idle() {
  local n=$1 len=$2 tid w0 w1 d0 d1 s0 s1
  jlxcfs_alive && ((len > 0)) || return 0
  tid=$(find_thread "$jlxcfs_pid" "$sampler_thread" || true)
  [ -n "$tid" ] || problem "no thread named $sampler_thread in the jlxcfs daemon (pid $jlxcfs_pid); only the daemon's total CPU is measured"
  w0=$EPOCHREALTIME
  d0=$(proc_cpu_ns "$jlxcfs_pid" || true)
  s0=$([ -z "$tid" ] || thread_cpu_ns "$jlxcfs_pid" "$tid" || true)
  say "idle for ${len}s with $n container(s) (sampler thread ${tid:-not found})..."
  sleep "$len"
  s1=$([ -z "$tid" ] || thread_cpu_ns "$jlxcfs_pid" "$tid" || true)
  d1=$(proc_cpu_ns "$jlxcfs_pid" || true)
  w1=$EPOCHREALTIME
  jlxcfs_alive && [ -n "$d0" ] && [ -n "$d1" ] || return 0
  scale[$n,wall]=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.1f", b - a }')
  scale[$n,daemon]=$(awk -v a="$d0" -v b="$d1" -v w="${scale[$n,wall]}" 'BEGIN { printf "%.3f", (b - a) / 1e7 / w }')
  [ -n "$s0" ] && [ -n "$s1" ] || return 0
  scale[$n,sampler]=$(awk -v a="$s0" -v b="$s1" -v w="${scale[$n,wall]}" 'BEGIN { printf "%.3f", (b - a) / 1e7 / w }')
  scale[$n,pass]=$(awk -v a="$s0" -v b="$s1" -v w="${scale[$n,wall]}" 'BEGIN { printf "%.1f", (b - a) / 1e6 / (w / 5) }')
}
c0_init=
if ! step 3; then
  scale_note="skipped (BENCH_STEPS='$(echo $steps)')"
elif ! jlxcfs_alive; then
  scale_note="skipped: jlxcfs is not running"
else
  mkdir "$work/la"
  start_sleeper 0
  wait_sleepers 0 1
  if [ "$la_ok" -ne 1 ] || ! c0_init=$(sleeper_init 0); then
    scale_note="FAILED: container c0 could not read proc/loadavg through jlxcfs ($(cat "$work/la/c0" 2>/dev/null || echo 'no answer within 60 s'))"
    problem "scale test: $scale_note"
  else
    scale[la_c0]=$(<"$work/la/c0")
    # Idle with the one container (at least one sampler pass): the sampler's baseline.
    measure_idle 1 $((idle_secs < 10 ? idle_secs : 10))
    measure_c0 1
    t0=$EPOCHREALTIME
    for ((i = 1; i < ncontainers; i++)); do start_sleeper "$i"; done
    t1=$EPOCHREALTIME
    wait_sleepers 0 "$ncontainers"
    t2=$EPOCHREALTIME
    scale[start]=$(awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.1f s to start, %.1f s more until all had read proc/loadavg", b - a, c - b }')
    scale[la_ok]=$la_ok scale[la_bad]=$la_bad
    scale[la_last]=$(cat "$work/la/c$((ncontainers - 1))" 2>/dev/null || echo none)
    [ "$la_bad" -eq 0 ] || problem "scale test: $la_bad of $ncontainers containers got no proc/loadavg through jlxcfs (ERROR or no answer within 60 s)"
    # Every container should see only itself: one task, its own pid 1 as the largest pid.
    wrong=$(cat "$work"/la/c* 2>/dev/null | awk 'NF != 5 || $5 != 1 || $4 !~ /^[0-9]+\/[12]$/' | sort | uniq -c | head -n 3 | tr '\n' ';' || true)
    [ -z "$wrong" ] || problem "scale test: proc/loadavg inside fresh containers (1 task, pid 1) looks wrong: $wrong"
    sleep 6   # at least one sampler pass with every container
    jlxcfs_sample containers
    measure_c0 "$ncontainers"
    # Idle: no readers; the sampler keeps passing over every container every 5 s.
    measure_idle "$ncontainers" "$idle_secs"
    jlxcfs_sample idle
  fi
fi
containers_made=$(( ${#sleeper_pid[@]} ))

# --- stop what we started, remove the containers (the EXIT trap removes $work) ---
cleanup_start=$EPOCHREALTIME
teardown
cleanup_time=$(awk -v a="$cleanup_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

# --- report ---
bad=$views_bad
# jlxcfs not measured at all, or dying on the way, fails the run too.
[ -n "${jstat[start]:-}" ] && [ "$jlxcfs_died" -eq 0 ] || bad=1
echo
echo "## jlxcfs container views: ops/s from inside a container, footprint, scale"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- kernel: $(uname -r), CPUs: $(nproc) (online: $ncpu); host /proc/loadavg at start: $load_start, at the end: $(cut -d' ' -f1-4 /proc/loadavg)"
echo "- command: ${envline}${cmdline}"
echo "- settings: BENCH_SECONDS=$secs BENCH_WARMUP=$warmup BENCH_REPEAT=$repeat BENCH_READERS='${readers_list[*]}' BENCH_CONTAINERS=$ncontainers BENCH_IDLE_SECONDS=$idle_secs BENCH_READ_SIZE=$read_size BENCH_READS=$min_reads BENCH_FILES='${files[*]//proc\//}' BENCH_STEPS='$(echo $steps)' JLXCFS_OPTS='${JLXCFS_OPTS:-}'"
echo "- container: cgroup $cg_mode ($(printf '%s ' "${cg_roots[@]}" | sed 's/ $//'))/$cg_name/..., memory limit $((mem_limit >> 20)) MiB, no CPU quota; readers run as/under pid 1 of \`unshare --pid --fork --kill-child --mount --mount-proc\`"
echo "- per measurement: open/read($read_size)/close for ${secs} s after ${warmup} s warmup; median of ${repeat} interleaved runs"
echo "- jlxcfs build: daemon/target/jlxcfs-daemon.jar of $(stat -c '%y' "${snap:-$top}/daemon/target/jlxcfs-daemon.jar" 2>/dev/null | cut -d. -f1 || echo '(no jar)') (run from a copy), source tree at $(git -C "$top" describe --always --dirty 2>/dev/null || echo 'unknown revision')"
echo "- jlxcfs: ${jlxcfs_note:-started by this script: bin/jlxcfs ${keeper_opt[*]} ${JLXCFS_OPTS:-}}${keeper_dir:+ (its keeper on a socket of this run, stopped with it)}"
echo "- LXCFS: ${lxcfs_note}"
echo
echo "### 1. ops/s from inside the container (goal: jlxcfs ≥ ${ratio_goal}× LXCFS on every file at every reader count)"
echo
echo "| file | readers | jlxcfs ops/s | LXCFS ops/s | jlxcfs/LXCFS | host /proc ops/s | jlxcfs/host | daemon CPU µs/read jlxcfs, LXCFS |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
goal_fail=() goal_na=0
for f in "${files[@]}"; do
  for p in "${readers_list[@]}"; do
    declare -A med=()
    for t in "${targets[@]}"; do
      [ -z "${samples[$f,$p,$t]:-}" ] || med[$t]=$(median <<<"${samples[$f,$p,$t]}")
    done
    r=$(ratio "${med[jlxcfs]:-}" "${med[lxcfs]:-}")
    if [ "$r" = n/a ]; then goal_na=1; elif ! ge "$r" "$ratio_goal"; then goal_fail+=("${f#proc/} × $p: ${r}×"); fi
    cj=$(median <<<"${cpu_us[$f,$p,jlxcfs]:-}") cl=$(median <<<"${cpu_us[$f,$p,lxcfs]:-}")
    echo "| $f | $p | ${med[jlxcfs]:-n/a} | ${med[lxcfs]:-n/a} | $r | ${med[host]:-n/a} | $(ratio "${med[jlxcfs]:-}" "${med[host]:-}") | ${cj:-n/a}, ${cl:-n/a} |"
    unset med
  done
done
echo
goal_text="Goal jlxcfs ≥ ${ratio_goal}× LXCFS on every file at every reader count"
if [ "$goal_na" -ne 0 ]; then echo "$goal_text: **not measured** (a target is missing)"
elif [ "${#goal_fail[@]}" -eq 0 ]; then echo "$goal_text: **met** ($((${#files[@]} * ${#readers_list[@]})) cells)"
else echo "$goal_text: **NOT met** in ${#goal_fail[@]} of $((${#files[@]} * ${#readers_list[@]})) cells (file × readers: $(printf '%s, ' "${goal_fail[@]}" | sed 's/, $//'))"; fi
echo
echo "What the container sees (host = the host's /proc inside the container's namespaces; (!) = wrong):"
echo
echo "| | host | jlxcfs | LXCFS |"
echo "|---|---|---|---|"
row() { echo "| $1 | ${seen[host,$2]:-n/a} | ${seen[jlxcfs,$2]:-n/a} | ${seen[lxcfs,$2]:-n/a} |"; }
row "meminfo MemTotal (expected $((mem_limit / 1024)) kB)" mem
row "stat cpuN lines (expected $ncpu)" stat
row "cpuinfo processors (expected $ncpu)" cpuinfo
row "uptime, s (expected: container age)" uptime
row "loadavg (expected: L1 L5 L15 running/total lastpid)" loadavg
for f in meminfo stat cpuinfo uptime loadavg; do row "$f: bytes, read($read_size) calls until EOF" "$f.bytes"; done
echo
line="errors (all runs):"
for f in "${files[@]}"; do
  for p in "${readers_list[@]}"; do
    for t in "${targets[@]}"; do
      [ -n "${samples[$f,$p,$t]:-}" ] || continue
      line+=" ${f#proc/}/$p/$t=${errs_of[$f,$p,$t]}"
      [ "${errs_of[$f,$p,$t]}" -eq 0 ] || { bad=1; line+="(!)"; }
    done
  done
done
echo "$line"
echo
echo "raw ops/s samples (file/readers/target: run 1..$repeat):"
for f in "${files[@]}"; do
  for p in "${readers_list[@]}"; do
    s=
    for t in "${targets[@]}"; do [ -z "${samples[$f,$p,$t]:-}" ] || s+=" $t: ${samples[$f,$p,$t]% };"; done
    [ -z "$s" ] || echo "- $f/$p:${s%;}"
  done
done
echo
echo "### 2. jlxcfs footprint (goal: RSS ≤ $((rss_goal_kib / 1024)) MiB after ≥ $min_reads reads and with $ncontainers containers, bounded thread count)"
echo
fp_line() { # $1 = phase, $2 = label
  if [ -n "${jstat[$1]:-}" ]; then
    read -r rss thr anon file <<<"${jstat[$1]}"
    echo "| $2 | $(mib "$rss") | $(mib "${anon:-0}") | $(mib "${file:-0}") | $thr | ${jnames[$1]} |"
  fi
}
if ! step 2; then
  echo "skipped (BENCH_STEPS='$(echo $steps)')"
elif [ -z "${jstat[start]:-}" ]; then
  echo "not measured: jlxcfs did not run"
else
  echo "| when | VmRSS MiB | RssAnon MiB | RssFile MiB | Threads | thread names (trailing digits cut) |"
  echo "|---|---:|---:|---:|---:|---|"
  fp_line start "just mounted"
  fp_line bench "after the ops/s runs"
  fp_line reads "after ≥ $min_reads reads (counted: $jlxcfs_reads)"
  fp_line containers "with $ncontainers containers sampled"
  fp_line idle "after ${idle_secs} s idle with $ncontainers containers"
  for ph in idle containers reads bench start; do
    [ -n "${kstat[$ph]:-}" ] || continue
    read -r rss thr <<<"${kstat[$ph]}"
    echo
    echo "(not counted above: the keeper process, which holds the FUSE connection across daemon restarts: VmRSS $(mib "$rss") MiB, $thr threads, last sample)"
    break
  done
  [ -z "${lxcfs_rss:-}" ] || { echo; echo "(for comparison, LXCFS started by this run, after its $lxcfs_reads counted reads of step 1: VmRSS $(mib "$lxcfs_rss") MiB)"; }
  echo
  declare -A phase_label=([start]="just mounted" [bench]="after the ops/s runs" [reads]="after the reads"
    [containers]="with $ncontainers containers" [idle]="after idle")
  max_rss=0 thr_reads='' thr_last='' over=''
  for ph in start bench reads containers idle; do
    [ -n "${jstat[$ph]:-}" ] || continue
    read -r rss thr _ <<<"${jstat[$ph]}"
    ((rss <= max_rss)) || max_rss=$rss
    ((rss <= rss_goal_kib)) || over+=", ${phase_label[$ph]} $(mib "$rss") MiB"
    [ "$ph" != reads ] || thr_reads=$thr
    thr_last=$thr
  done
  if ((jlxcfs_reads < min_reads)); then
    echo "RSS after ≥ $min_reads reads: **not measured** (only $jlxcfs_reads reads)"
    bad=1
  elif ((max_rss <= rss_goal_kib)); then
    echo "Goal RSS ≤ $((rss_goal_kib / 1024)) MiB: **met** (max $(mib "$max_rss") MiB)"
  else
    echo "Goal RSS ≤ $((rss_goal_kib / 1024)) MiB: **NOT met** (max $(mib "$max_rss") MiB; over it:${over#,})"
  fi
  if [ -n "$thr_reads" ] && [ -n "$thr_last" ]; then
    # JIT compiler threads come and go; a few more or less is not growth.
    if ((thr_last <= thr_reads + 2)); then
      echo "Goal bounded thread count: **met** ($thr_reads after the reads, $thr_last at the end, with $ncontainers containers)"
    else
      echo "Goal bounded thread count: **NOT met** ($thr_reads after the reads, $thr_last at the end, with $ncontainers containers)"
    fi
  fi
fi
echo
echo "### 3. scale: $ncontainers containers, each in its own cgroups and pid namespace, sampled by the loadavg sampler"
echo
if [ -n "$scale_note" ]; then
  echo "$scale_note"
else
  echo "- containers: ${scale[la_ok]:-0} of $ncontainers read proc/loadavg through jlxcfs (${scale[start]:-n/a}); c0 saw \`${scale[la_c0]:-}\`, the last \`${scale[la_last]:-}\`"
  echo "- the proc/meminfo reader joins container c0 (its cgroups and pid namespace, via nsenter: like \`docker exec\`)"
  echo "- cleanup of $containers_made containers, their cgroups and the daemon: ${cleanup_time} s"
  echo
  m1=$(median <<<"${scale[1]:-}")
  mn=$(median <<<"${scale[$ncontainers]:-}")
  echo "| containers | proc/meminfo ops/s (1 reader in c0) | runs |"
  echo "|---:|---:|---|"
  echo "| 1 | ${m1:-n/a} | ${scale[1]:-}|"
  echo "| $ncontainers | ${mn:-n/a} | ${scale[$ncontainers]:-}|"
  echo
  r=$(ratio "${mn:-}" "${m1:-}")
  if [ "$r" = n/a ]; then echo "Goal per-read cost within 10% of 1 container: **not measured**"
  elif ge "$r" 0.9; then echo "Goal per-read cost within 10% of 1 container: **met** ($ncontainers/1 = ${r}×)"
  else echo "Goal per-read cost within 10% of 1 container: **NOT met** ($ncontainers/1 = ${r}×)"; fi
  for k in scale,1 "scale,$ncontainers"; do
    [ "${errs_of[$k]:-0}" -eq 0 ] || { bad=1; echo "errors in the $k runs: ${errs_of[$k]} (!)"; }
  done
  echo
  if [ -n "${scale[$ncontainers,daemon]:-}" ]; then
    echo "| idle, no readers | wall s | jlxcfs daemon CPU, % of one core | sampler thread \`$sampler_thread\` CPU, % of one core | sampler CPU ms per 5 s pass |"
    echo "|---|---:|---:|---:|---:|"
    for n in 1 "$ncontainers"; do
      [ -z "${scale[$n,wall]:-}" ] || echo "| $n container(s) | ${scale[$n,wall]} | ${scale[$n,daemon]} | ${scale[$n,sampler]:-n/a} | ${scale[$n,pass]:-n/a} |"
    done
    echo
    pct=${scale[$ncontainers,sampler]:-${scale[$ncontainers,daemon]}}
    if awk -v p="$pct" 'BEGIN { exit !(p < 2) }'; then
      echo "Goal sampler CPU < 2% of one core: **met** (${pct}%)"
    else
      echo "Goal sampler CPU < 2% of one core: **NOT met** (${pct}%)"
    fi
  else
    echo "Idle CPU: not measured"
  fi
fi
[ "${errs_of[topup]:-0}" -eq 0 ] || { bad=1; echo; echo "errors in the reads top-up: ${errs_of[topup]} (!)"; }
if [ "${#notes[@]}" -gt 0 ]; then
  echo
  echo "### problems found"
  echo
  for n in "${notes[@]}"; do echo "- $n"; done
fi
for name in "${failed_logs[@]}"; do
  echo
  echo "$name log (last 40 lines):"
  echo '```'
  tail -n 40 "$work/$name.log" 2>/dev/null || echo "(log gone)"
  echo '```'
done
if [ "$bad" -ne 0 ]; then
  echo
  echo "**WARNING: jlxcfs missing or dead, errors, or wrong views above; the numbers concerned are not valid.**"
  exit 1
fi
