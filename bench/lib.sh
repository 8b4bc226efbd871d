# shellcheck shell=bash disable=SC2034,SC2154 # cg_mode is read; say, work, cg_name, mem_limit are defined by the sourcing script
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

# Parent pid of $1 (empty if gone), without forking: /proc/PID/stat after "(comm) STATE ".
ppid_of() {
  local s
  { read -r s <"/proc/$1/stat"; } 2>/dev/null || return 0
  s=${s##*) }
  s=${s#* }
  echo "${s%% *}"
}

# Containers of views.sh and requests.sh: a parent cgroup $cg_name in every hierarchy of cg_roots,
# one child per container with a memory limit of $mem_limit bytes and no CPU quota; every
# directory made is appended to created_cgs (parents first).
cg_mkdir() { # $1 = cgroup directory to create (parent first)
  mkdir "$1"
  created_cgs+=("$1")
  if [ -f "$1/cpuset.cpus" ] && [ "$cg_mode" = v1 ]; then  # v1 cpuset: empty until set
    cat "$1/../cpuset.cpus" >"$1/cpuset.cpus"
    cat "$1/../cpuset.mems" >"$1/cpuset.mems"
  fi
}

cg_setup_parent() {
  local r c ctrls=()
  for r in "${cg_roots[@]}"; do
    cg_mkdir "$r/$cg_name"
    if [ "$cg_mode" = v2 ]; then  # delegate what our own parent offers; never touch the root's settings
      read -r -a ctrls <"$r/$cg_name/cgroup.controllers" || true
      for c in "${ctrls[@]}"; do
        echo "+$c" >"$r/$cg_name/cgroup.subtree_control" 2>/dev/null || true
      done
    fi
  done
}

# Creates container $1's cgroups: memory limit, no CPU quota.
cg_make() {
  local r d
  for r in "${cg_roots[@]}"; do
    d=$r/$cg_name/$1
    cg_mkdir "$d"
    if [ -f "$d/memory.limit_in_bytes" ]; then echo "$mem_limit" >"$d/memory.limit_in_bytes"; fi
    if [ -f "$d/memory.max" ]; then echo "$mem_limit" >"$d/memory.max"; fi
  done
}

# Moves the calling (sub)shell into container $1's cgroups; run it in a subshell before exec.
cg_join() {
  local r
  for r in "${cg_roots[@]}"; do
    echo "$BASHPID" >"$r/$cg_name/$1/cgroup.procs" || return 1
  done
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
