#!/usr/bin/env bash
# Restart and crash benchmark: what containers reading the daemon's files see while the daemon
# is restarted or killed, for jlxcfs and LXCFS 5.0.3. A printed comparison, not a pass/fail.
# Run as root from anywhere:
#   sudo bench/restart.sh
#   sudo BENCH_ROUNDS=5 bench/restart.sh
# Env: BENCH_ROUNDS (20), BENCH_SECONDS (readers' longest run time; default per scenario, long
#      enough for the rounds: they stop after them), BENCH_SCENARIOS (all: "jlxcfs-restart
#      jlxcfs-kill jlxcfs-kill-keeper lxcfs-usr1 lxcfs-term lxcfs-kill"), BENCH_SLOW_MS (2: reads slower than this are recorded with their time),
#      JLXCFS_OPTS (extra daemon options), JLXCFS_BUILD (1; 0 = never build), LXCFS_BIN
#      (/usr/bin/lxcfs).
# Per scenario: the stall distribution (for every reader and round, the longest open/read/close
# overlapping the round; median, p99, max) and, for jlxcfs, each new daemon's exec-to-first-answer.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
rounds=${BENCH_ROUNDS:-20}
secs_env=${BENCH_SECONDS:-}
grace=20          # a reader that has not printed grace s after the stop (or SECONDS) is hung
slow_ms=${BENCH_SLOW_MS:-2}   # the readers record every read slower than this (start, duration)
mem_limit=$((256 << 20))
lxcfs_bin=${LXCFS_BIN:-/usr/bin/lxcfs}
cmdline="$0${*:+ $*}"
envline=$(env | grep -E '^(BENCH_[A-Z]+|JLXCFS_OPTS|JLXCFS_JAVA_OPTS|JLXCFS_BUILD|LXCFS_BIN)=' | sort | tr '\n' ' ' || true)

say() { echo "restart: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "must run as root (sudo $0)"; exit 1; }
[ -e /dev/fuse ] || { say "/dev/fuse is missing"; exit 1; }
# Everything runs in a private mount namespace of its own (same pid: unshare execs): our mounts
# are invisible to the rest of the machine, so another benchmark looking for a mounted LXCFS
# cannot pick up ours (which this script restarts and kills), and whatever is in this
# namespace was started by this script.
if [ "${JLXCFS_BENCH_RESTART_NS:-}" != "$$" ]; then
  JLXCFS_BENCH_RESTART_NS=$$ exec unshare --mount --propagation private -- "$BASH" "${BASH_SOURCE[0]}" "$@"
fi
unset JLXCFS_BENCH_RESTART_NS
my_ns=$(readlink /proc/self/ns/mnt)
if ! [[ $rounds =~ ^[1-9][0-9]*$ ]]; then say "BENCH_ROUNDS must be a positive integer, got '$rounds'"; exit 2; fi
if ! [[ $slow_ms =~ ^[0-9]+(\.[0-9]+)?$ ]]; then say "BENCH_SLOW_MS must be a number of milliseconds, got '$slow_ms'"; exit 2; fi
if [ -n "$secs_env" ] && ! [[ $secs_env =~ ^[1-9][0-9]*$ ]]; then
  say "BENCH_SECONDS must be a positive integer, got '$secs_env'"; exit 2
fi
# the interpreter itself, not a wrapper script (pyenv shims and the like)
py=$(python3 -c 'import sys; print(sys.executable)') || { say "python3 is needed"; exit 1; }
for c in unshare mount umount; do
  command -v "$c" >/dev/null || { say "$c is needed"; exit 1; }
done
# The Debian unit's ExecStopPost is `fusermount -u` (package fuse/fuse3); for root that is a plain
# umount of the FUSE mount, which stands in when fusermount is not installed.
unmount_cmd=(umount)
if command -v fusermount >/dev/null; then unmount_cmd=(fusermount -u)
elif command -v fusermount3 >/dev/null; then unmount_cmd=(fusermount3 -u); fi

work=$(mktemp -d /tmp/jlxcfs-bench-restart.XXXXXX)
chmod 755 "$work"
cp "$here/restart_reader.py" "$work/reader.py"
daemon_pids=()    # every daemon pid this script started or learnt (jlxcfs restart starts them detached)
keeper_dirs=()    # keeper socket directories of our jlxcfs daemons (each holds keeper.pid)
created_mnts=()   # mount points this script created
created_cgs=()    # cgroup directories this script created
reader_pids=()    # the unshare processes of the current scenario's containers

fs_type() { # $1 = mount point: its filesystem type (topmost mount), or nothing
  awk -v p="$1" '$5 == p { for (i = 7; i <= NF; i++) if ($i == "-") { t = $(i + 1); break } } END { print t }' /proc/self/mountinfo
}
# True if pid $1 is a jlxcfs (daemon, keeper, restart command) or LXCFS process in our private
# mount namespace: one we started, directly or through jlxcfs (never a reused pid of another).
ours() {
  local cl
  [ "$(readlink "/proc/$1/ns/mnt" 2>/dev/null)" = "$my_ns" ] || return 1
  cl=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  [[ $cl == *" org.jlxcfs.daemon.Main "* || $cl == *"$top/bin/jlxcfs "* || $cl == "$lxcfs_bin "* ]]
}

# SIGKILLs every process in our cgroups (the containers) and reaps the unshare processes.
kill_containers() {
  local i left pid
  for ((i = 0; i < 50; i++)); do
    left=$(cg_members)
    [ -n "$left" ] || break
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $left 2>/dev/null || true
    sleep 0.1
  done
  for pid in "${reader_pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  reader_pids=()
}

# Stops a daemon of ours: SIGTERM, up to 15 s, then SIGKILL.
stop_pid() {
  local pid=$1 i
  ours "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid ignored SIGTERM for 15 s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# The keeper started for socket directory $1 (pid from keeper.pid, checked against its command line).
stop_keeper() {
  local dir=$1 pid i
  [ -f "$dir/keeper.pid" ] || return 0
  pid=$(tr -dc 0-9 <"$dir/keeper.pid")
  [ -n "$pid" ] && ours "$pid" && grep -qa keeper "/proc/$pid/cmdline" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# Everything of ours: containers, daemons, keepers, mounts, cgroups. Safe to run twice.
teardown() {
  local - pid d p
  set +e
  kill_containers
  for pid in "${daemon_pids[@]}"; do stop_pid "$pid"; done
  daemon_pids=()
  for d in "${keeper_dirs[@]}"; do stop_keeper "$d"; done
  keeper_dirs=()
  # any other jlxcfs or LXCFS process in our mount namespace (a daemon `jlxcfs restart` started
  # that we never learnt the pid of)
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    if [ "$pid" = $$ ] || ! ours "$pid"; then continue; fi
    say "stopping leftover pid $pid: $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-120)"
    kill -KILL "$pid" 2>/dev/null
  done
  kill_containers   # readers blocked in a request of a connection that just ended
  for d in "${created_mnts[@]}"; do
    if is_mounted "$d"; then umount -l "$d" 2>/dev/null || say "could not unmount $d"; fi
  done
  created_mnts=()
  remove_cgroups kill_containers
}

on_exit_teardown

# --- cgroups: one cgroup per container and hierarchy, /sys/fs/cgroup/<h>/<name> ---
find_cgroup_roots
cg_note=

# Creates container $1's cgroups (memory limit 256 MiB); sets cg_procs to their cgroup.procs files.
cg_make_container() {
  local r d
  cg_procs=()
  for r in "${cg_roots[@]}"; do
    d=$r/$1
    mkdir "$d"
    created_cgs+=("$d")
    if [ -f "$d/cpuset.cpus" ] && [ "$cg_mode" = v1 ]; then  # v1 cpuset: empty until set
      cat "$r/cpuset.cpus" >"$d/cpuset.cpus"
      cat "$r/cpuset.mems" >"$d/cpuset.mems"
    fi
    if [ -f "$d/memory.limit_in_bytes" ]; then echo "$mem_limit" >"$d/memory.limit_in_bytes"; fi
    if [ -f "$d/memory.max" ]; then echo "$mem_limit" >"$d/memory.max"; fi
    if [ "$cg_mode" = v2 ] && [ ! -f "$d/memory.max" ]; then
      cg_note="the memory controller is not enabled in /sys/fs/cgroup/cgroup.subtree_control: no memory limit"
    fi
    cg_procs+=("$d/cgroup.procs")
  done
}

# Starts container $1 (cgroups + pid and mount namespaces, the daemon's proc/meminfo, stat and
# uptime under $2 bound over /proc/...) whose pid 1 is the reader of /proc/$3 for at most $4
# seconds (it stops early when the file $6 appears). Its output goes to $5.out and $5.err.
start_container() {
  local name=$1 src=$2 file=$3 secs=$4 out=$5 stop=$6
  cg_make_container "$name"
  # the wrapper shell joins the cgroups, then becomes unshare, whose child becomes the reader
  CG_PROCS="${cg_procs[*]}" SRC=$src PY=$py READER=$work/reader.py FILE=/proc/$file SECS=$secs GRACE=$grace SLOW_MS=$slow_ms STOP=$stop \
    sh -c 'for f in $CG_PROCS; do echo $$ >"$f" || exit 97; done
      exec unshare --pid --fork --kill-child --mount --mount-proc --propagation private sh -c '\''
        mount --bind "$SRC/proc/meminfo" /proc/meminfo && mount --bind "$SRC/proc/stat" /proc/stat &&
        mount --bind "$SRC/proc/uptime" /proc/uptime && exec "$PY" "$READER" "$FILE" "$SECS" "$GRACE" "$SLOW_MS" "$STOP"'\' \
    >"$out.out" 2>"$out.err" </dev/null &
  reader_pids+=("$!")
}

# --- daemons ---
build_note=
if [ ! -f "$top/daemon/target/jlxcfs-daemon.jar" ] && [ "${JLXCFS_BUILD:-1}" != 0 ]; then
  say "building jlxcfs (bin/mvnw -q -DskipTests package)..."
  if ! (cd "$top" && bin/mvnw -q -DskipTests package) >"$work/build.log" 2>&1; then
    build_note="build failed: $(tail -n 5 "$work/build.log" | tr '\n' ' ')"
  fi
fi
[ -f "$top/daemon/target/jlxcfs-daemon.jar" ] || build_note=${build_note:-"daemon/target/jlxcfs-daemon.jar is missing (JLXCFS_BUILD=0)"}
lxcfs_note=
if [ ! -x "$lxcfs_bin" ]; then
  lxcfs_note="not installed ($lxcfs_bin missing; apt-get install lxcfs)"
else
  lxcfs_version=$("$lxcfs_bin" --version 2>&1 | head -n 1 | tr -d '"')
fi

# Per scenario (set by scenario_setup): its directory, mount point, daemon log, current daemon pid.
sdir='' mnt='' log='' dpid='' sock=''

# Waits up to $2 s (default 60) until $mnt serves proc/uptime and is a $1 mount; 1 if not.
wait_serving() {
  local type=$1 end=$((SECONDS + ${2:-60}))
  while ((SECONDS < end)); do
    if [ "$(fs_type "$mnt")" = "$type" ] && [ -n "$(timeout 2 head -c 1 "$mnt/proc/uptime" 2>/dev/null)" ]; then
      return 0
    fi
    sleep 0.05
  done
  return 1
}

# The scenario's daemon logs in order: $log (the first daemon, and those `jlxcfs restart` or this
# script starts), then the one of the daemons its keeper starts (KEEPERDIR/daemon-MOUNT.log).
daemon_logs() { cat "$log" "$sdir"/keeper/daemon-*.log 2>/dev/null || true; }

# Waits up to $2 s until the daemon logs have at least $3 lines matching $1.
wait_log() {
  local pat=$1 end=$((SECONDS + $2)) n=$3
  while ((SECONDS < end)); do
    (($(daemon_logs | grep -c -- "$pat" || true) >= n)) && return 0
    sleep 0.05
  done
  return 1
}

# The pid of the scenario's jlxcfs daemon now (not its keeper): the one such process of ours (the
# script's namespace holds only this scenario's).
find_daemon() {
  local p cl
  for p in /proc/[0-9]*; do
    ours "${p#/proc/}" || continue
    cl=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
    [[ $cl == *" org.jlxcfs.daemon.Main "* && $cl != *" org.jlxcfs.daemon.Main keeper "* && $cl != *" org.jlxcfs.daemon.Main restart "* ]] || continue
    echo "${p#/proc/}"
    return 0
  done
  return 1
}

read -r -a jlxcfs_opts <<<"${JLXCFS_OPTS:-}"
# Starts the scenario's daemon in the background (the same command line every time), log appended.
jlxcfs_start() {
  "$top/bin/jlxcfs" --keeper-socket "$sock" --no-remount "${jlxcfs_opts[@]}" "$mnt" >>"$log" 2>&1 </dev/null &
  dpid=$!
  daemon_pids+=("$dpid")
}
# A keeper that does not start dead daemons again (`--no-restart`, as under Kubernetes, where the
# kubelet does), so that the script's own start is the only one after a SIGKILL.
keeper_start_no_restart() {
  local end=$((SECONDS + 60))
  mkdir -p "$sdir/keeper"
  "$top/bin/jlxcfs" keeper --socket "$sock" --no-restart >>"$sdir/keeper/keeper.log" 2>&1 </dev/null &
  daemon_pids+=("$!")
  until [ -S "$sock" ] && [ -s "$sdir/keeper/keeper.pid" ]; do
    ((SECONDS < end)) && kill -0 "$!" 2>/dev/null || return 1
    sleep 0.05
  done
}
lxcfs_start() {
  "$lxcfs_bin" -f -l --pidfile="$sdir/lxcfs.pid" "$mnt" >>"$log" 2>&1 </dev/null &
  dpid=$!
  daemon_pids+=("$dpid")
}

# Background command whose status we wait for (a signal to this script then interrupts the wait).
run_wait() { # $1 = output file, rest = command
  local out=$1 rc=0
  shift
  "$@" >"$out" 2>&1 </dev/null &
  wait $! || rc=$?
  return $rc
}

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

declare -A res_rounds=() res_reads=() res_failed=() res_hung=() res_stall=() res_detail=() res_secs=()
declare -A res_dist=() res_first=()   # per scenario: stall distribution, exec-to-first-answer (table cells)
all_scenarios=(jlxcfs-restart jlxcfs-kill jlxcfs-kill-keeper lxcfs-usr1 lxcfs-term lxcfs-kill)
read -r -a scenarios <<<"${BENCH_SCENARIOS:-${all_scenarios[*]}}"
for scn in "${scenarios[@]}"; do
  case " ${all_scenarios[*]} " in *" $scn "*) ;; *) say "unknown scenario '$scn' in BENCH_SCENARIOS (known: ${all_scenarios[*]})"; exit 2 ;; esac
done
declare -A label=(
  [jlxcfs-restart]="jlxcfs|graceful restart: \`jlxcfs restart\`"
  [jlxcfs-kill]="jlxcfs|SIGKILL, start again (keeper \`--no-restart\`)"
  [jlxcfs-kill-keeper]="jlxcfs|SIGKILL, its keeper starts it again"
  [lxcfs-usr1]="LXCFS|SIGUSR1 reload (its documented graceful path)"
  [lxcfs-term]="LXCFS|SIGTERM, start again (\`systemctl restart\`)"
  [lxcfs-kill]="LXCFS|SIGKILL, unmount, start again"
)
# Default reader run time, an upper bound (the readers stop when the rounds are done): twice what
# a round takes on a busy machine (restart or kill until serving again, then 1 s; 11 s for
# jlxcfs-kill-keeper), plus margins. LXCFS -l stops its loadavg thread on reload and exit, which
# takes up to 5 s.
declare -A per_round=([jlxcfs-restart]=14 [jlxcfs-kill]=8 [jlxcfs-kill-keeper]=26 [lxcfs-usr1]=13 [lxcfs-term]=13 [lxcfs-kill]=4)
# The keeper backs off from a daemon that dies within 10 s of its start (Supervisor.QUICK): in
# jlxcfs-kill-keeper each daemon serves 11 s before it is killed, so that every restart is immediate.
keeper_pause=11
files=(meminfo stat uptime)

# Median, p99 (nearest rank) and max of the numbers on stdin (one per line): "m p99 max n".
dist() { sort -g | awk '{ v[NR] = $1 } END { if (NR) { p = int(NR * 0.99); if (p < NR * 0.99) p++; print v[int((NR + 1) / 2)], v[p], v[NR], NR } }'; }
# Stall seconds as printed: below the recording threshold, "<" it.
fmt_stall() { awk -v v="$1" -v t="$slow_ms" 'BEGIN { if (v * 1000 <= t) printf "<%.3f", t / 1000; else printf "%.3f", v }'; }

# Stall distribution of scenario $1 from $sdir/rounds and the readers' "slow" lines: for every
# round and reader, the longest open/read/close overlapping [the round's kill/restart command,
# the daemon serving again] (0 when none was slower than BENCH_SLOW_MS); $2 = "≥ " when a reader
# hung without reporting (its samples are missing). Sets res_dist[$1] and appends to details.
round_stalls() {
  local scn=$1 mark=$2 samples d m p x n worst
  [ -s "$sdir/rounds" ] || { res_dist[$scn]="n/a | n/a | n/a"; return 0; }
  # one line per (round, reader that reported): "round reader stall"
  samples=$(awk '
    FILENAME == ARGV[1] { a[$1] = $2; b[$1] = $3; order[++nr] = $1; next }
    $1 == "slow" {
      f = FILENAME; sub(/.*reader-/, "", f); sub(/\.out$/, "", f); f += 0
      reader[f] = 1; if (f > maxf) maxf = f
      t0 = substr($2, 4) + 0
      n = split(substr($5, 7), ev, ",")
      for (i = 1; i <= n; i++) {
        split(ev[i], sd, ":"); s = t0 + sd[1]; e = s + sd[2]
        for (k = 1; k <= nr; k++) { r = order[k]; if (s <= b[r] && e >= a[r] && sd[2] > mx[r, f]) mx[r, f] = sd[2] }
      }
    }
    END { for (k = 1; k <= nr; k++) for (g = 0; g <= maxf; g++) if (g in reader) printf "%d %d %.4f\n", order[k], g, mx[order[k], g] + 0 }
  ' "$sdir/rounds" "$sdir"/reader-[0-9].out)
  read -r m p x n <<<"$(awk '{ print $3 }' <<<"$samples" | dist)"
  if [ -z "${n:-}" ]; then res_dist[$scn]="n/a | n/a | n/a"; return 0; fi
  res_dist[$scn]="$(fmt_stall "$m") | $(fmt_stall "$p") | $mark$(fmt_stall "$x")"
  worst=$(awk '{ if ($3 > w[$1]) w[$1] = $3; if (!($1 in seen)) { seen[$1] = 1; o[++k] = $1 } }
    END { for (i = 1; i <= k; i++) printf "%s%.3f", (i > 1 ? " " : ""), w[o[i]] }' <<<"$samples")
  stall_details+=("- stall per round (s, the longest over its readers; 0.000: none slower than ${slow_ms} ms): $worst"
    "- stall distribution over $n (round × reader) samples: median $(fmt_stall "$m") s, p99 $(fmt_stall "$p") s, max $mark$(fmt_stall "$x") s")
}

# Exec-to-first-answer of every daemon that scenario $1 started for a round: the log line
# "first request answered N ms after exec", in order; the first is the initial daemon's (not a
# round). Sets res_first[$1] and appends to details.
first_answers() {
  local scn=$1 all init rest m p x n
  all=$(daemon_logs | sed -n 's/.*first request answered \([0-9]*\) ms after exec.*/\1/p')
  init=$(head -n 1 <<<"$all")
  rest=$(tail -n +2 <<<"$all")
  read -r m p x n <<<"$(dist <<<"$rest")"
  if [ -z "${n:-}" ]; then
    res_first[$scn]="n/a | n/a | n/a"
    stall_details+=("- exec-to-first-answer: no \"first request answered\" line from a round's daemon in its log${init:+ (initial daemon: $init ms)}")
    return 0
  fi
  res_first[$scn]="$m | $p | $x"
  stall_details+=("- exec-to-first-answer (ms, \"first request answered N ms after exec\" of each new daemon): $n of ${res_rounds[$scn]} rounds: median $m, p99 $p, max $x; per round: $(tr '\n' ' ' <<<"$rest" | sed 's/ $//'); initial daemon: ${init:-n/a}")
}

# Runs scenario $1: fresh mount, three fresh containers, ROUNDS rounds, readers' results.
run_scenario() {
  local scn=$1 target=${1%%-*} secs i t0 r rc out new tround ok=0 notes=() times=() start_deadline stall_details=()
  secs=${secs_env:-$(awk -v r="$rounds" -v p="${per_round[$scn]}" 'BEGIN { printf "%d", r * p + 30 }')}
  res_secs[$scn]=$secs
  sdir=$work/$scn
  mnt=$sdir/mnt
  log=$sdir/daemon.log
  sock=$sdir/keeper/keeper.sock
  mkdir -p "$sdir" "$mnt"
  created_mnts+=("$mnt")
  say "== $scn: $rounds rounds, readers run until they are done (at most ${secs} s)"
  if [ "$target" = jlxcfs ]; then
    keeper_dirs+=("$sdir/keeper")
    if [ "$scn" = jlxcfs-kill ] && ! keeper_start_no_restart; then
      res_detail[$scn]="its keeper (\`jlxcfs keeper --no-restart\`) did not come up: $(tail -n 5 "$sdir/keeper/keeper.log" | tr '\n' ' ')"
      return
    fi
    jlxcfs_start
    wait_serving fuse.jlxcfs 60 || { res_detail[$scn]="jlxcfs did not come up: $(tail -n 5 "$log" | tr '\n' ' ')"; return; }
  else
    lxcfs_start
    wait_serving fuse.lxcfs 60 || { res_detail[$scn]="LXCFS did not come up: $(tail -n 5 "$log" | tr '\n' ' ')"; return; }
  fi
  for i in 0 1 2; do
    start_container "jlxcfs-bench-restart-$$-$scn-c$i" "$mnt" "${files[i]}" "$secs" "$sdir/reader-$i" "$sdir/stop"
  done
  start_deadline=$((SECONDS + secs + grace))
  local readers_end
  readers_end=$(awk -v a="$EPOCHREALTIME" -v s="$secs" 'BEGIN { printf "%.2f", a + s }')
  sleep 2
  for i in 0 1 2; do
    if ! kill -0 "${reader_pids[i]}" 2>/dev/null; then
      notes+=("container $i (${files[i]}) ended early: $(cat "$sdir/reader-$i.out" "$sdir/reader-$i.err" 2>/dev/null | tr '\n' ' ')")
    fi
  done
  t0=$(now)
  for ((r = 1; r <= rounds; r++)); do
    tround=$(now)
    case $scn in
      jlxcfs-restart)
        rc=0
        run_wait "$sdir/restart.out" "$top/bin/jlxcfs" restart --keeper-socket "$sock" "$mnt" || rc=$?
        out=$(<"$sdir/restart.out")
        new=$(sed -n 's/.*is served by pid \([0-9]*\).*/\1/p' <<<"$out")
        if [ "$rc" -ne 0 ] || [ -z "$new" ]; then
          notes+=("round $r: jlxcfs restart exited $rc: $(tr '\n' ' ' <<<"$out")")
          break
        fi
        daemon_pids+=("$new")
        wait "$dpid" 2>/dev/null || true   # the first one is our child
        dpid=$new
        ;;
      jlxcfs-kill)
        kill -KILL "$dpid" 2>/dev/null || true
        wait "$dpid" 2>/dev/null || true
        jlxcfs_start
        if ! wait_log "took over" 60 "$r"; then
          notes+=("round $r: the new daemon did not take over within 60 s: $(tail -n 3 "$log" | tr '\n' ' ')")
          break
        fi
        ;;
      jlxcfs-kill-keeper)
        kill -KILL "$dpid" 2>/dev/null || true
        wait "$dpid" 2>/dev/null || true   # the first one is our child
        if ! wait_log "took over" 60 "$r" || ! new=$(find_daemon); then
          notes+=("round $r: the keeper's new daemon did not take over within 60 s: $(daemon_logs | tail -n 3 | tr '\n' ' ')")
          break
        fi
        daemon_pids+=("$new")
        dpid=$new
        ;;
      lxcfs-usr1)
        kill -USR1 "$dpid" 2>/dev/null || true
        # a reload takes effect on the next request: let one come (the readers send plenty)
        if ! wait_serving fuse.lxcfs 30 || ! kill -0 "$dpid" 2>/dev/null; then
          notes+=("round $r: LXCFS no longer serves after SIGUSR1: $(tail -n 3 "$log" | tr '\n' ' ')")
          break
        fi
        ;;
      lxcfs-term | lxcfs-kill)
        if [ "$scn" = lxcfs-term ]; then stop_pid "$dpid"; else kill -KILL "$dpid" 2>/dev/null || true; wait "$dpid" 2>/dev/null || true; fi
        # what the Debian unit does after the process ended (ExecStopPost=-/bin/fusermount -u)
        if is_mounted "$mnt"; then "${unmount_cmd[@]}" "$mnt" 2>>"$log" || umount -l "$mnt" || true; fi
        lxcfs_start
        if ! wait_serving fuse.lxcfs 60; then
          notes+=("round $r: LXCFS did not come up again: $(tail -n 3 "$log" | tr '\n' ' ')")
          break
        fi
        ;;
    esac
    times+=("$(elapsed "$tround")")
    echo "$r $tround $(now)" >>"$sdir/rounds"   # the round's window on the wall clock, for the stalls
    ok=$r
    say "$scn: round $r/$rounds done ($(elapsed "$tround") s)"
    if ((r < rounds)); then
      if [ "$scn" = jlxcfs-kill-keeper ]; then sleep "$keeper_pause"; else sleep 1; fi
    fi
  done
  sleep 1   # the readers go on for a second after the last round
  : >"$sdir/stop"
  start_deadline=$((SECONDS + grace + 5))   # a hung reader's watchdog reports grace s after the stop
  res_rounds[$scn]=$ok
  local rounds_time
  rounds_time=$(elapsed "$t0")
  local over
  over=$(awk -v e="$readers_end" -v n="$EPOCHREALTIME" 'BEGIN { if (n > e) printf "%.1f", n - e }')
  [ -z "$over" ] || notes+=("the rounds ended ${over} s after the readers: the last rounds were not observed (raise BENCH_SECONDS)")
  # --- the readers' results ---
  local reads=0 failed=0 hung=0 stall=0 line stall_mark='' details=()
  while ((SECONDS < start_deadline)); do
    local pending=0
    for i in 0 1 2; do grep -q '^slow ' "$sdir/reader-$i.out" 2>/dev/null || pending=1; done
    ((pending)) || break
    sleep 0.2
  done
  for i in 0 1 2; do
    line=$(grep -m1 '^reads=' "$sdir/reader-$i.out" 2>/dev/null || true)
    if [ -z "$line" ]; then
      hung=$((hung + 1))
      stall_mark='≥ '
      details+=("- ${files[i]} reader: no result within ${grace} s of the stop: hung, killed. stderr: $(tr '\n' ' ' <"$sdir/reader-$i.err" 2>/dev/null | cut -c1-300)")
      continue
    fi
    local n f e l h ff lf fe
    n=$(sed -n 's/.*reads=\([0-9]*\).*/\1/p' <<<"$line")
    f=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$line")
    e=$(sed -n 's/.*empty=\([0-9]*\).*/\1/p' <<<"$line")
    l=$(sed -n 's/.*longest=\([0-9.]*\).*/\1/p' <<<"$line")
    h=$(sed -n 's/.*hung=\([0-9]*\).*/\1/p' <<<"$line")
    ff=$(sed -n 's/.*first_fail=\([-0-9.]*\).*/\1/p' <<<"$line")
    lf=$(sed -n 's/.*last_fail=\([-0-9.]*\).*/\1/p' <<<"$line")
    fe=$(sed -n 's/.*first_error=\(.*\)/\1/p' <<<"$line")
    reads=$((reads + n)) failed=$((failed + f))
    if [ "$h" = 1 ]; then hung=$((hung + 1)); stall_mark='≥ '; fi
    stall=$(awk -v a="$stall" -v b="$l" 'BEGIN { print (b > a ? b : a) }')
    local el
    el=$(sed -n 's/.*elapsed=\([0-9.]*\).*/\1/p' <<<"$line")
    local d="- ${files[i]} reader: $n reads in ${el:-?} s ($(awk -v n="$n" -v e="${el:-0}" 'BEGIN { if (e > 0) printf "%.0f", n / e; else print "?" }')/s), $f failed"
    [ "$e" = 0 ] || d+=", $e empty"
    d+=", longest ${l} s"
    [ "$h" != 1 ] || d+=", HUNG (a read still blocked ${grace} s after its run time)"
    [ "$f" = 0 ] || d+="; failures from ${ff} s to ${lf} s of its ${el:-?} s, first: $fe"
    details+=("$d")
  done
  res_reads[$scn]=$reads res_failed[$scn]=$failed res_hung[$scn]=$hung res_stall[$scn]="$stall_mark$stall"
  round_stalls "$scn" "$stall_mark"
  [ "$target" != jlxcfs ] || first_answers "$scn"
  kill_containers
  # --- did the last daemon survive until now? ---
  if ! kill -0 "$dpid" 2>/dev/null; then
    local st=0 how
    wait "$dpid" 2>/dev/null || st=$?
    if ((st == 127)); then how="exit status unknown"   # started by `jlxcfs restart`: not our child
    elif ((st > 128)); then how="killed by SIG$(kill -l $((st - 128)))"
    else how="exit status $st"; fi
    notes+=("the daemon (pid $dpid) died during the run, unasked ($how); its log ends: $(tail -n 3 "$log" | tr '\n' ' ' | cut -c1-400)")
  fi
  # --- round times and daemon log summary ---
  local tsum=
  ((${#times[@]} == 0)) || tsum=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "round time (restart/kill until serving again): median %.2f s, max %.2f s", v[int((NR + 1) / 2)], v[NR] }')
  details+=("- rounds: $ok/$rounds in ${rounds_time} s (readers ran from 2 s before the first round to 1 s after the last); $tsum")
  ((${#stall_details[@]} == 0)) || details+=("${stall_details[@]}")
  if [ "$target" = jlxcfs ]; then
    details+=("- daemon logs: $(daemon_logs | grep -c 'mounted jlxcfs' || true) fresh mount(s), $(daemon_logs | grep -c 'took over' || true) takeover(s), $(daemon_logs | grep -c 'asked the kernel to resend' || true) with resend, $(daemon_logs | grep -c 'handed .* over' || true) handover(s), $(daemon_logs | grep -cE 'WARNING|SEVERE|Exception' || true) warning/error line(s); keeper log: $(grep -cE 'WARNING|SEVERE|Exception' "$sdir/keeper/keeper.log" 2>/dev/null || true) warning/error line(s)")
    local w
    w=$( (daemon_logs; cat "$sdir/keeper/keeper.log" 2>/dev/null) | grep -E 'WARNING|SEVERE|Exception' | sed 's/^[0-9T:.-]*Z //' \
      | sort | uniq -c | sort -rn | head -n 5 | sed 's/^/    /' || true)
    [ -z "$w" ] || details+=("- daemon warnings (most frequent first):" "$w")
  fi
  if ((${#notes[@]})); then for d in "${notes[@]}"; do details+=("- PROBLEM: $d"); done; fi
  res_detail[$scn]=$(printf '%s\n' "${details[@]}")
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for scn in "${scenarios[@]}"; do
  case $scn in
    jlxcfs-*) if [ -n "$build_note" ]; then res_detail[$scn]="not run: $build_note"; continue; fi ;;
    lxcfs-*) if [ -n "$lxcfs_note" ]; then res_detail[$scn]="not run: LXCFS $lxcfs_note"; continue; fi ;;
  esac
  run_scenario "$scn"
  teardown   # this scenario's containers, daemon, keeper, mount and cgroups: fresh ones for the next
done

# --- report ---
jver=$(cat "$work/jlxcfs-restart/daemon.log" "$work/jlxcfs-kill/daemon.log" 2>/dev/null | grep -m1 -o 'jlxcfs: jlxcfs [^,]*' | sed 's/^jlxcfs: //' || true)
commit=$(cd "$top" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$( (cd "$top" && git status --porcelain --untracked-files=no 2>/dev/null) | grep -v ' bench/' | head -c 1 || true)
jar_time=$(date -u -r "$top/daemon/target/jlxcfs-daemon.jar" '+%Y-%m-%d %H:%M UTC' 2>/dev/null || echo '?')
jar_s=$(stat -c %Y "$top/daemon/target/jlxcfs-daemon.jar" 2>/dev/null || echo 0)
head_s=$(cd "$top" && git log -1 --format=%ct 2>/dev/null || echo 0)
((jar_s >= head_s)) || jar_time+=", before commit $commit was made: it may not be HEAD's code"
echo
echo "## Daemon restarts and crashes under container readers: jlxcfs vs LXCFS"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- kernel: $(uname -r), CPUs: $(nproc); load average at the start: $load_start, at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- command: ${envline}${cmdline}"
echo "- rounds per scenario: $rounds, a second apart; a reader that has not reported ${grace} s after the stop counts as hung"
echo "- containers: 3 per scenario (fresh for each), cgroup $cg_mode ($(printf '%s ' "${cg_roots[@]}" | sed 's/ $//'))/jlxcfs-bench-restart-$$-SCENARIO-cN, memory limit 256 MiB${cg_note:+ ($cg_note)};"
echo "  each \`unshare --pid --fork --kill-child --mount --mount-proc --propagation private\` with the daemon's"
echo "  proc/meminfo, proc/stat, proc/uptime bind-mounted over /proc/..., pid 1 = one reader at full speed"
echo "  (open / read(65536) / close in a loop) on /proc/meminfo, /proc/stat, /proc/uptime respectively"
echo "- jlxcfs: ${jver:-?} (commit $commit${dirty:+, with uncommitted changes outside bench/}, jar built $jar_time): \`bin/jlxcfs --keeper-socket DIR/keeper/keeper.sock --no-remount ${JLXCFS_OPTS:+$JLXCFS_OPTS }MNT\`;"
echo "  graceful: \`bin/jlxcfs restart --keeper-socket DIR/keeper/keeper.sock MNT\`; crash: kill -9, then either the same"
echo "  command line again, its keeper started first by the script as \`bin/jlxcfs keeper --socket DIR/keeper/keeper.sock"
echo "  --no-restart\` (the kubelet's way), or (\"its keeper starts it again\") nothing: the keeper the daemon started"
echo "  itself starts it again; there each daemon serves ${keeper_pause} s before it is killed (the keeper backs off from one that"
echo "  dies within 10 s of its start)"
echo "- LXCFS: ${lxcfs_note:-$lxcfs_version: \`$lxcfs_bin -f -l --pidfile=DIR/lxcfs.pid MNT\`, on its own mount point;}"
echo "  reload: kill -USR1 (the unit's ExecReload); restart: SIGTERM (or kill -9), \`${unmount_cmd[*]} MNT\` if still"
echo "  mounted (the unit's ExecStopPost; without it lxcfs cannot start on its dead mount: \"fuse: failed to access"
echo "  mountpoint MNT: Transport endpoint is not connected\"), start again. The containers' binds are NOT repaired."
echo
echo "| target | scenario | rounds | reads | reads failed | readers hung | longest stall (s) |"
echo "|---|---|---:|---:|---:|---:|---:|"
for scn in "${scenarios[@]}"; do
  IFS='|' read -r tgt what <<<"${label[$scn]}"
  if [ -n "${res_reads[$scn]:-}" ]; then
    echo "| $tgt | $what | ${res_rounds[$scn]}/$rounds | ${res_reads[$scn]} | ${res_failed[$scn]} | ${res_hung[$scn]}/3 | ${res_stall[$scn]} |"
  else
    echo "| $tgt | $what | n/a | n/a | n/a | n/a | n/a |"
  fi
done
echo
echo "Stalls: for every reader and round, the longest open/read/close overlapping the round (from the"
echo "kill or restart command until the daemon serves again; reads over ${slow_ms} ms are timed, \"<\" = none"
echo "slower); median, p99 (nearest rank) and max over all round × reader samples. Exec-to-first-answer:"
echo "the new daemon's log line \"first request answered N ms after exec\" (from JLXCFS_EXEC_NS, set by"
echo "bin/jlxcfs at its exec; a daemon that \`jlxcfs restart\` or a keeper starts runs java directly and inherits"
echo "the variable, which counts only when less than 1 s older than the process (so for a graceful restart it"
echo "may include the restart command's own start), else the process's start time is used)."
echo
echo "| target | scenario | stall median (s) | stall p99 (s) | stall max (s) | exec-to-first-answer median (ms) | p99 (ms) | max (ms) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for scn in "${scenarios[@]}"; do
  IFS='|' read -r tgt what <<<"${label[$scn]}"
  first="${res_first[$scn]:-n/a | n/a | n/a}"
  [[ $scn == jlxcfs-* ]] || first="– | – | –"
  echo "| $tgt | $what | ${res_dist[$scn]:-n/a | n/a | n/a} | $first |"
done
echo
echo "(LXCFS: after SIGTERM or SIGKILL the containers' binds are dead and reads fail at once, see \"reads failed\": a short stall there is no recovery.)"
echo
echo "Details (reader times are seconds since that reader started):"
for scn in "${scenarios[@]}"; do
  IFS='|' read -r tgt what <<<"${label[$scn]}"
  echo
  echo "**$tgt, $what** (readers' limit ${res_secs[$scn]:-?} s)"
  echo
  echo "${res_detail[$scn]:-no result}"
done
