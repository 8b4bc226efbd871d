# Sourced by bin/jlxcfs and bin/mvnw: sets JAVA_HOME to a JDK or JRE 25 or newer.
# Order: $JAVA_HOME, then the usual install paths, then java on PATH.
# Without forks where it can: bin/jlxcfs runs this on every daemon start, a restarted daemon's
# readers wait for it, and a fork costs several ms on a busy paravirtualised machine.
java_feature() { # sets java_v to the feature release of the java binary $1 (e.g. 25), or empty
  # the runtime's release file says it without starting a JVM (which takes a good part of a
  # second on a busy machine); JDKs and jlink images have one
  local release=${1%/*} line
  release=${release%/*}/release
  java_v=
  if [ -f "$release" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in
        JAVA_VERSION=\"[0-9]*) java_v=${line#JAVA_VERSION=\"}; java_v=${java_v%%[!0-9]*}; return ;;
      esac
    done <"$release"
  fi
  java_v=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1)
}
find_java25() {
  local c path_java
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 \
           /usr/lib/jvm/temurin-25-jre-amd64 /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/java-25-openjdk-arm64 \
           /usr/lib/jvm/* /opt/java/openjdk /opt/jdk* @path; do
    # java on PATH last, looked up only when nothing else would do
    if [ "$c" = @path ]; then
      path_java=$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")
      c=${path_java%/bin/java}
      [ "$c" != "$path_java" ] || c=
    fi
    [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
    java_feature "$c/bin/java"
    if [ -n "$java_v" ] && [ "$java_v" -ge 25 ]; then export JAVA_HOME="$c"; return 0; fi
  done
  echo "jlxcfs: no Java 25 found (looked at \$JAVA_HOME, /usr/lib/jvm/*, /opt/java and java on PATH)." >&2
  echo "jlxcfs: install a JDK 25, e.g. Eclipse Temurin 25 (package temurin-25-jdk), or set JAVA_HOME to one." >&2
  return 1
}
