# Sourced by bin/jlxcfs and bin/mvnw: sets JAVA_HOME to a JDK or JRE 25 or newer.
# Order: $JAVA_HOME, then the usual install paths, then java on PATH.
java_feature() { # prints the feature release of the java binary $1 (e.g. 25), or nothing
  # the runtime's release file says it without starting a JVM (which takes a good part of a
  # second on a busy machine, and a restarted daemon's readers wait for it); JDKs and jlink
  # images have one
  local release v
  release=$(dirname "$(dirname "$1")")/release
  if [ -f "$release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
    [ -n "$v" ] && { echo "$v"; return; }
  fi
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
find_java25() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 \
           /usr/lib/jvm/temurin-25-jre-amd64 /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/java-25-openjdk-arm64 \
           /usr/lib/jvm/* /opt/java/openjdk /opt/jdk* "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
    v=$(java_feature "$c/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then export JAVA_HOME="$c"; return 0; fi
  done
  echo "jlxcfs: no Java 25 found (looked at \$JAVA_HOME, /usr/lib/jvm/*, /opt/java and java on PATH)." >&2
  echo "jlxcfs: install a JDK 25, e.g. Eclipse Temurin 25 (package temurin-25-jdk), or set JAVA_HOME to one." >&2
  return 1
}
