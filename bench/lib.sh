# shellcheck shell=bash disable=SC2034,SC2154 # cg_mode is read, say and work are defined, by the sourcing script
# Helpers shared by the benchmark scripts; sourced, not run. A script that uses
# remove_cgroups or on_exit_teardown defines say() and, for on_exit_teardown, teardown() and
# $work first.

is_mounted() { # $1 = path; true if it is a mount point in our namespace
  awk -v p="$1" '$5 == p { f = 1 } END { exit !f }' /proc/self/mountinfo
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { if [ -n "$1" ] && [ -n "$2" ] && [ "$2" != 0 ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3g", a / b }'; else echo n/a; fi; }

# Sets cg_mode (v1 or v2) and cg_roots: the hierarchies a container's cgroups go in (v1: memory,
# cpu, cpuacct, cpuset, blkio, pids, co-mounted ones once; v2: the unified root).
find_cgroup_roots() {
  local c r
  cg_roots=()
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    cg_mode=v2
    cg_roots=(/sys/fs/cgroup)
    return 0
  fi
  cg_mode=v1
  for c in memory cpu cpuacct cpuset blkio pids; do
    [ -f "/sys/fs/cgroup/$c/cgroup.procs" ] || continue
    r=$(readlink -f "/sys/fs/cgroup/$c")   # co-mounted (cpu,cpuacct) hierarchies count once
    case " ${cg_roots[*]} " in *" $r "*) ;; *) cg_roots+=("$r") ;; esac
  done
  [ "${#cg_roots[@]}" -gt 0 ] || { say "no cgroup v1 hierarchy under /sys/fs/cgroup and no cgroup v2 either"; exit 1; }
}

# Every pid in one of our cgroups (created_cgs): only processes the script created are ever there.
cg_members() {
  [ "${#created_cgs[@]}" -gt 0 ] || return 0
  cat "${created_cgs[@]/%//cgroup.procs}" 2>/dev/null | sort -un || true
}

# Removes created_cgs, children before parents (reverse creation order), with one rmdir for all,
# retried for what is left (a cgroup emptied just now may need a moment); $1 is run before each
# retry (e.g. to kill what came back; `true` for nothing).
remove_cgroups() {
  local between=$1 rev=() left d i
  for ((i = ${#created_cgs[@]} - 1; i >= 0; i--)); do rev+=("${created_cgs[i]}"); done
  for ((i = 0; i < 50 && ${#rev[@]} > 0; i++)); do
    ((i == 0)) || { "$between"; sleep 0.1; }
    rmdir -- "${rev[@]}" 2>/dev/null
    left=()
    for d in "${rev[@]}"; do [ ! -d "$d" ] || left+=("$d"); done
    rev=("${left[@]}")
  done
  for d in "${rev[@]}"; do say "WARNING: could not remove cgroup $d"; done
  created_cgs=()
}

# On every exit (also Ctrl-C and SIGTERM): teardown, then remove $work.
on_exit_teardown() {
  trap exit_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
exit_cleanup() {
  trap - EXIT INT TERM
  set +e
  teardown
  # --one-file-system: never descend into a mount that is still there.
  rm -rf --one-file-system "$work" 2>/dev/null || say "left $work behind"
}
