# Sourced by bin/build-image and bin/install: the Java runtime jlxcfs ships, made by jlink with only
# the modules the jars use, kept as a tar of opt/jlxcfs/runtime in a cache directory (per JDK,
# module set and jlink options), so the image and a host install share it and a rebuild is fast.
# Needs JAVA_HOME (a JDK 25 with jlink and jdeps) and a `die` function.

JLINK_OPTS=(--strip-debug --no-header-files --no-man-pages --compress zip-6 --generate-cds-archive)

# A tar of DIR's entries NAMES... with fixed owners, modes readable by all and times: the same
# inputs give the same bytes, and a non-root user (the webhook's uid 65532) can read everything.
tar_tree() { # OUT MTIME DIR NAMES...
  local out=$1 time=$2 dir=$3; shift 3
  chmod -R a+rX,go-w "$dir"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$time" --format=posix \
      --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$dir" -cf "$out" "$@"
}

jdeps_modules() { # the JDK modules the jars $@ use, comma-separated
  local m
  m=$("$JAVA_HOME/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 "$@" 2>/dev/null | tail -n 1)
  [[ "$m" =~ ^[a-z.,]+$ ]] || die "jdeps printed no module list for $*"
  echo "$m"
}

# runtime_modules TARGET CACHE: the modules the jars in TARGET (daemon/target) need, comma-separated.
runtime_modules() {
  local target=$1 cache=$2 modules sum j libs=()
  # jdeps takes seconds over the libraries (BouncyCastle): their answer is kept per set of jar
  # contents; the project's own jars change with every build and are small. (Together: a modular
  # library alone fails on the modules it requires.)
  mkdir -p "$cache/jdeps"
  modules=$(jdeps_modules "$target/jlxcfs-daemon.jar" "$target"/lib/jlxcfs-*.jar)
  for j in "$target"/lib/*.jar; do case "$(basename "$j")" in jlxcfs-*) ;; *) libs+=("$j") ;; esac; done
  if [ ${#libs[@]} -gt 0 ]; then
    sum=$(sha256sum "${libs[@]}" | cut -d' ' -f1 | sha256sum | cut -c1-32)
    if [ ! -f "$cache/jdeps/$sum" ]; then
      jdeps_modules "${libs[@]}" > "$cache/jdeps/$sum.tmp"
      mv "$cache/jdeps/$sum.tmp" "$cache/jdeps/$sum"
    fi
    modules=$modules,$(cat "$cache/jdeps/$sum")
  fi
  # java.desktop comes only from jackson-databind's optional java.beans support (`requires static`),
  # which it skips when absent: AWT and Swing, which jlxcfs does not need. java.logging backs
  # System.Logger; jdk.httpserver serves the webhook (listed too in case jdeps stops seeing it).
  printf '%s\n' ${modules//,/ } java.logging jdk.httpserver | grep -vx java.desktop | sort -u | paste -sd, -
}

# runtime_tar_path CACHE MODULES: where the runtime tar for MODULES and this JDK is (or goes) in CACHE.
runtime_tar_path() {
  local java_id key
  java_id=$("$JAVA_HOME/bin/java" -version 2>&1 | tr '\n' ' ')
  key=$(printf '%s\n' "$java_id" "$2" "${JLINK_OPTS[*]}" "$(stat -c %Y "$JAVA_HOME/release")" | sha256sum | cut -c1-16)
  echo "$1/runtime-$key.tar"
}

# make_runtime_tar MODULES OUT WORK: jlinks MODULES and writes the tar of opt/jlxcfs/runtime to OUT
# (atomically: a concurrent build never reads half a tar), using WORK as scratch space.
make_runtime_tar() {
  local modules=$1 out=$2 work=$3
  rm -rf "$work/runtime"
  mkdir -p "$work/runtime/opt/jlxcfs"
  # the CDS warnings are about classes of modules left out on purpose
  "$JAVA_HOME/bin/jlink" --add-modules "$modules" "${JLINK_OPTS[@]}" --output "$work/runtime/opt/jlxcfs/runtime" \
    > "$work/jlink.log" 2>&1 || { cat "$work/jlink.log" >&2; die "jlink failed (modules $modules)"; }
  # the archive for heaps over 32 GiB (no compressed oops): never used by jlxcfs's small heaps
  rm -f "$work/runtime/opt/jlxcfs/runtime/lib/server/classes_nocoops.jsa"
  # file times: the JDK's, so the same JDK gives the same tar
  tar_tree "$out.tmp.$$" "$(stat -c %Y "$JAVA_HOME/release")" "$work/runtime" opt
  mv "$out.tmp.$$" "$out"
  rm -rf "$work/runtime"
}
