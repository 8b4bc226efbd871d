# Sourced by bin/build-image, bin/install and bin/build-deb: the packaged jars of a checkout
# (bin/mvnw -DskipTests package puts them in daemon/target) and their version. Needs JAVA_HOME
# (a JDK: `jar`) and a `die` function.

# project_jars TOP: checks the jars are built and sets `target` (daemon/target) and `jars` (the
# daemon's jar first, then lib/*.jar: what an installed tree's lib/ holds)
project_jars() {
  target="$1/daemon/target"
  [ -f "$target/jlxcfs-daemon.jar" ] && [ -d "$target/lib" ] \
    || die "$target/jlxcfs-daemon.jar or $target/lib is missing; build them first (bin/mvnw -DskipTests package)"
  jars=("$target/jlxcfs-daemon.jar" "$target"/lib/*.jar)
}

# jar_version JAR WORKDIR: prints the Maven version recorded in JAR's manifest (Implementation-Version)
jar_version() {
  local v
  (cd "$2" && "$JAVA_HOME/bin/jar" xf "$1" META-INF/MANIFEST.MF) || die "cannot read the manifest of $1"
  v=$(sed -n 's/^Implementation-Version: *\([^[:space:]]*\).*/\1/p' "$2/META-INF/MANIFEST.MF")
  rm -rf "$2/META-INF"
  [ -n "$v" ] || die "no Implementation-Version in $1's manifest"
  echo "$v"
}
