#!/bin/bash
# Builds the java buildpack's test apps into OUT_DIR with the JDK's javac and jar (no Maven: no network for
# plugins here). Servlet APIs to compile against: Debian's libservlet-api-java (javax.servlet 4.0) and
# libjakarta-servlet-api-java (jakarta.servlet 5.0), installed by deploy/lib.sh.
#   xwms.war      javax.servlet servlet (web.xml) + index.jsp    -> Tomcat 9
#   jwms.war      jakarta.servlet servlet (@WebServlet) + index.jsp -> Tomcat 10
#   site.war      xwms.war plus an index.html at its root (a WAR, not a static site)
#   server.jar    com.sun.net.httpserver on $PORT, Main-Class hello.Server; reports Runtime.maxMemory()
#   nomain.jar    the same classes, no Main-Class
#   hog.jar       GET /allocate allocates past the heap
#   procfile/     server.jar unpacked plus a Procfile whose web: line passes an argument
#   notjava.war   a zip of files that are no app at all
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
javac=${JAVAC:-javac}
jar=${JAR:-jar}

war() { # NAME SRC_DIR API_JAR [EXTRA_FILE_FOR_THE_ROOT]
  local name=$1 dir=$2 api=$3 stage=$work/$1
  mkdir -p "$stage/WEB-INF/classes"
  cp -r "$dir/webapp/." "$stage/"
  [ -z "${4:-}" ] || cp "$4" "$stage/"
  "$javac" --release 17 -nowarn -cp "$api" -d "$stage/WEB-INF/classes" $(find "$dir/src" -name '*.java')
  (cd "$stage" && "$jar" --create --file "$out/$name" --no-manifest .)
}
war xwms.war "$src/javax-war" /usr/share/java/servlet-api.jar
war jwms.war "$src/jakarta-war" /usr/share/java/jakarta-servlet-api.jar
war site.war "$src/javax-war" /usr/share/java/servlet-api.jar "$src/site-war/index.html"

mkdir -p "$work/server" "$work/hog"
"$javac" --release 17 -nowarn -d "$work/server" "$src/exec-jar/src/hello/Server.java"
"$jar" --create --file "$out/server.jar" --main-class hello.Server -C "$work/server" .
"$jar" --create --file "$out/nomain.jar" -C "$work/server" .
"$javac" --release 17 -nowarn -d "$work/hog" "$src/oom-jar/src/hello/Hog.java"
"$jar" --create --file "$out/hog.jar" --main-class hello.Hog -C "$work/hog" .

rm -rf "$out/procfile"
mkdir -p "$out/procfile"
(cd "$out/procfile" && "$jar" --extract --file "$out/server.jar")
printf 'web: java $JAVA_OPTS -cp . hello.Server from-procfile\n' >"$out/procfile/Procfile"

mkdir -p "$work/notjava/data"
printf 'not an app\n' >"$work/notjava/readme.txt"
head -c 4096 /dev/urandom >"$work/notjava/data/blob.bin"
(cd "$work/notjava" && "$jar" --create --file "$out/notjava.war" --no-manifest .)
echo "built into $out: $(cd "$out" && ls | tr '\n' ' ')"
