# Shared by bin/*: what kind of Java app this is, and the JBP_CONFIG_* settings it asks for. Bash, staging time.

JRE_HOME_IN_LAYER=/layers/jre/usr/lib/jvm/java-17-openjdk-amd64
# The directories holding the shared libraries of the jre-lib* layers.
JRE_LIBRARY_PATH=/layers/jre-libjpeg/usr/lib/x86_64-linux-gnu:/layers/jre-liblcms2/usr/lib/x86_64-linux-gnu

# The manifest with its 72-byte continuation lines joined and CRs dropped, one "Name: value" per line.
jbp_manifest() {
  local mf=$1/META-INF/MANIFEST.MF
  [ -f "$mf" ] || return 0
  tr -d '\r' <"$mf" | awk 'NR > 1 && /^ / { line = line substr($0, 2); next } { if (NR > 1) print line; line = $0 } END { print line }'
}

# The value of one manifest attribute (empty when absent).
jbp_manifest_attribute() {
  jbp_manifest "$1" | sed -n "s/^$2: *//p" | head -n 1
}

# war | boot-jar | jar | "" : what the app directory holds.
jbp_app_kind() {
  local dir=$1
  if [ -d "$dir/WEB-INF" ]; then echo war
  elif [ -d "$dir/BOOT-INF" ]; then echo boot-jar
  elif [ ! -f "$dir/META-INF/MANIFEST.MF" ]; then return 0 # not Java: found without starting a process (detect runs for every app)
  elif [ -n "$(jbp_manifest_attribute "$dir" Start-Class)" ]; then echo boot-jar
  else echo jar
  fi
}

# The value of KEY in a JBP_CONFIG_* variable, which holds a YAML flow mapping such as
# '{ jre: { version: 17.+ }, memory_calculator: { stack_threads: 100 } }'. A key is looked up by its own
# name (keys this buildpack reads are unique across its settings); the last occurrence wins.
jbp_config() {
  local value=$1 key=$2
  printf '%s' "$value" | tr '\n' ' ' | sed -n "s/.*[{, ]$key *: *\\([^,} ]*\\).*/\\1/p" | tr -d "'\""
}

# Why a WAR needs Tomcat 10 or 9: prints "10 REASON" or "9 REASON".
jbp_choose_tomcat() {
  local dir=$1 wanted hit
  wanted=$(jbp_config "${JBP_CONFIG_TOMCAT:-}" version)
  case "$wanted" in
    "") ;;
    10|10.*) echo "10 JBP_CONFIG_TOMCAT asks for version $wanted"; return ;;
    9|9.*) echo "9 JBP_CONFIG_TOMCAT asks for version $wanted"; return ;;
    *) echo "java: JBP_CONFIG_TOMCAT asks for Tomcat $wanted; this buildpack has Tomcat 10.1 (jakarta.servlet) and 9.0 (javax.servlet)" >&2
       return 1 ;;
  esac
  # Compiled classes name the servlet API they use (class files store the names uncompressed).
  if [ -d "$dir/WEB-INF/classes" ]; then
    hit=$(grep -rlaF --include='*.class' 'jakarta/servlet/' "$dir/WEB-INF/classes" 2>/dev/null | head -n 1)
    [ -n "$hit" ] && { echo "10 ${hit#"$dir"/} uses jakarta.servlet"; return; }
    hit=$(grep -rlaF --include='*.class' 'javax/servlet/' "$dir/WEB-INF/classes" 2>/dev/null | head -n 1)
    [ -n "$hit" ] && { echo "9 ${hit#"$dir"/} uses javax.servlet"; return; }
  fi
  # The deployment descriptor's namespace: Jakarta EE 9+ (Servlet 5+) or Java EE (Servlet 4 and older).
  if [ -f "$dir/WEB-INF/web.xml" ]; then
    if grep -qF 'jakarta.ee/xml/ns/jakartaee' "$dir/WEB-INF/web.xml"; then
      echo "10 WEB-INF/web.xml uses the jakartaee namespace"; return
    fi
    if grep -qE 'xmlns.jcp.org/xml/ns/javaee|java.sun.com/xml/ns/(javaee|j2ee)' "$dir/WEB-INF/web.xml"; then
      echo "9 WEB-INF/web.xml uses the javaee namespace"; return
    fi
  fi
  # Libraries: jars are compressed, but their entry names (and stored entries) are plain text.
  if [ -d "$dir/WEB-INF/lib" ]; then
    hit=$(grep -laF 'jakarta/servlet/' "$dir"/WEB-INF/lib/*.jar 2>/dev/null | head -n 1)
    [ -n "$hit" ] && { echo "10 ${hit#"$dir"/} refers to jakarta.servlet"; return; }
    hit=$(grep -laF 'javax/servlet/' "$dir"/WEB-INF/lib/*.jar 2>/dev/null | head -n 1)
    [ -n "$hit" ] && { echo "9 ${hit#"$dir"/} refers to javax.servlet"; return; }
  fi
  # JSP pages that import the API by name.
  hit=$(grep -rlF --include='*.jsp' 'jakarta.servlet' "$dir" 2>/dev/null | head -n 1)
  [ -n "$hit" ] && { echo "10 ${hit#"$dir"/} imports jakarta.servlet"; return; }
  hit=$(grep -rlF --include='*.jsp' 'javax.servlet' "$dir" 2>/dev/null | head -n 1)
  [ -n "$hit" ] && { echo "9 ${hit#"$dir"/} imports javax.servlet"; return; }
  echo "10 nothing names a servlet API; the current one (jakarta.servlet) is the default"
}

# A rough count of the classes the app brings (class files plus class entries of its jars), for the
# memory calculator's metaspace estimate. A jar names each entry twice (local header, central directory).
jbp_count_classes() {
  local dir=$1 files entries=0 jar n
  files=$(find "$dir" -name '*.class' -type f | wc -l)
  while IFS= read -r -d '' jar; do
    n=$(grep -aoF '.class' "$jar" | wc -l)
    entries=$((entries + n / 2))
  done < <(find "$dir" -name '*.jar' -type f -print0)
  echo $((files + entries))
}
