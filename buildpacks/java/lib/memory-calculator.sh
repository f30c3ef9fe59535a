# The JVM memory calculator (after Cloud Foundry's): sizes the heap so that heap and non-heap together fit in
# the container's memory limit, at start time, from $MEMORY_LIMIT:
#
#   heap = limit - metaspace - code cache - threads x stack - direct memory - headroom
#
# POSIX sh: the launcher sources it from profile.d (dash). Reads MEMORY_LIMIT ("1024m", "1g"), JAVA_OPTS (the
# user's; sizes given there are kept and used in the sum), JBP_CONFIG_OPEN_JDK_JRE (memory_calculator:
# stack_threads, class_count, headroom as a percentage of the limit) and JBP_CLASS_COUNT (the classes the app
# brings, counted at staging). Sets JBP_MEMORY_FLAGS, JBP_MEMORY_SUMMARY and JAVA_OPTS (the calculated flags
# first, so the user's own JAVA_OPTS come later and win). Returns non-zero with a message on stderr when the
# limit cannot hold the non-heap memory.

# A JVM size ("512m", "1G", "256k", "1048576") in KiB.
jbp_kib() {
  jbp_v=$(printf '%s' "$1" | tr 'A-Z' 'a-z')
  case "$jbp_v" in
    *[!0-9kmgb]*|"") return 1 ;;
    *gb) echo $(( ${jbp_v%gb} * 1048576 )) ;;
    *g) echo $(( ${jbp_v%g} * 1048576 )) ;;
    *mb) echo $(( ${jbp_v%mb} * 1024 )) ;;
    *m) echo $(( ${jbp_v%m} * 1024 )) ;;
    *kb) echo $(( ${jbp_v%kb} )) ;;
    *k) echo $(( ${jbp_v%k} )) ;;
    *b) echo $(( ${jbp_v%b} / 1024 )) ;;
    *) echo $(( jbp_v / 1024 )) ;;
  esac
}

# KiB as the JVM likes it: whole MiB as "NM", else "NK".
jbp_size() {
  if [ $(( $1 % 1024 )) -eq 0 ]; then echo "$(( $1 / 1024 ))M"; else echo "$1K"; fi
}

# memory_calculator.KEY from JBP_CONFIG_OPEN_JDK_JRE (a YAML flow mapping; the last occurrence wins).
jbp_memory_setting() {
  printf '%s' "${JBP_CONFIG_OPEN_JDK_JRE:-}" | tr '\n' ' ' | sed -n "s/.*[{, ]$1 *: *\\([^,} ]*\\).*/\\1/p" | tr -d "'\""
}

jbp_calculate_memory() {
  jbp_limit=$(jbp_kib "${MEMORY_LIMIT:-1024m}") || { echo "java: MEMORY_LIMIT '$MEMORY_LIMIT' is not a size" >&2; return 1; }
  jbp_threads=$(jbp_memory_setting stack_threads); jbp_threads=${jbp_threads:-250}
  jbp_classes=$(jbp_memory_setting class_count); jbp_classes=${jbp_classes:-${JBP_CLASS_COUNT:-0}}
  jbp_headroom=$(jbp_memory_setting headroom); jbp_headroom=${jbp_headroom:-0}
  for jbp_n in "$jbp_threads" "$jbp_classes" "$jbp_headroom"; do
    case "$jbp_n" in ''|*[!0-9]*)
      echo "java: JBP_CONFIG_OPEN_JDK_JRE: memory_calculator's stack_threads, class_count and headroom must be whole numbers (got '$jbp_n')" >&2
      return 1 ;;
    esac
  done
  [ "$jbp_headroom" -le 100 ] || { echo "java: memory_calculator headroom is a percentage (got $jbp_headroom)" >&2; return 1; }

  # Sizes the user set in JAVA_OPTS are kept, and counted in the sum.
  jbp_heap=; jbp_stack=; jbp_meta=; jbp_code=; jbp_direct=
  for jbp_opt in ${JAVA_OPTS:-}; do
    case "$jbp_opt" in
      -Xmx*) jbp_heap=$(jbp_kib "${jbp_opt#-Xmx}") ;;
      -Xss*) jbp_stack=$(jbp_kib "${jbp_opt#-Xss}") ;;
      -XX:MaxMetaspaceSize=*) jbp_meta=$(jbp_kib "${jbp_opt#*=}") ;;
      -XX:ReservedCodeCacheSize=*) jbp_code=$(jbp_kib "${jbp_opt#*=}") ;;
      -XX:MaxDirectMemorySize=*) jbp_direct=$(jbp_kib "${jbp_opt#*=}") ;;
    esac
  done
  jbp_stack=${jbp_stack:-1024}
  # Metaspace: ~5800 bytes per loaded class, plus 14 MiB; about 35% of an app's classes get loaded, on top
  # of ~6000 JRE and container classes. Rounded up to whole MiB.
  if [ -z "$jbp_meta" ]; then
    jbp_loaded=$(( jbp_classes * 35 / 100 + 6000 ))
    jbp_meta=$(( (jbp_loaded * 5800 / 1024 + 14336 + 1023) / 1024 * 1024 ))
  fi
  jbp_code=${jbp_code:-245760}
  jbp_direct=${jbp_direct:-10240}
  jbp_room=$(( jbp_limit * jbp_headroom / 100 ))
  jbp_nonheap=$(( jbp_meta + jbp_code + jbp_threads * jbp_stack + jbp_direct + jbp_room ))
  jbp_calculated=$(( (jbp_limit - jbp_nonheap) / 1024 * 1024 ))
  jbp_from=calculated
  if [ -n "$jbp_heap" ]; then
    jbp_from="from JAVA_OPTS"
    if [ $(( jbp_heap + jbp_nonheap )) -gt "$jbp_limit" ]; then
      echo "java: warning: -Xmx$(jbp_size "$jbp_heap") from JAVA_OPTS plus $(jbp_size "$jbp_nonheap") of non-heap memory exceeds the memory limit $(jbp_size "$jbp_limit")" >&2
    fi
  else
    if [ "$jbp_calculated" -lt 16384 ]; then
      echo "java: the memory limit $(jbp_size "$jbp_limit") is too small: the JVM's non-heap memory needs $(jbp_size "$jbp_nonheap")" \
        "($(jbp_size "$jbp_meta") metaspace, $(jbp_size "$jbp_code") code cache, $jbp_threads threads x $(jbp_size "$jbp_stack") stack," \
        "$(jbp_size "$jbp_direct") direct memory, $jbp_headroom% headroom), leaving $(( jbp_calculated / 1024 ))M for the heap (16M at least)." \
        "Give the app more memory (-m), or fewer threads: JBP_CONFIG_OPEN_JDK_JRE='{ memory_calculator: { stack_threads: 50 } }'" >&2
      return 1
    fi
    jbp_heap=$jbp_calculated
  fi
  JBP_MEMORY_FLAGS="-Xmx$(jbp_size "$jbp_heap") -Xss$(jbp_size "$jbp_stack") -XX:MaxMetaspaceSize=$(jbp_size "$jbp_meta") -XX:ReservedCodeCacheSize=$(jbp_size "$jbp_code") -XX:MaxDirectMemorySize=$(jbp_size "$jbp_direct") -XX:+ExitOnOutOfMemoryError"
  JBP_MEMORY_SUMMARY="heap $(jbp_size "$jbp_heap") ($jbp_from) = limit $(jbp_size "$jbp_limit") - metaspace $(jbp_size "$jbp_meta") ($jbp_classes classes) - code cache $(jbp_size "$jbp_code") - $jbp_threads threads x $(jbp_size "$jbp_stack") stack - direct $(jbp_size "$jbp_direct") - headroom $jbp_headroom%"
  JAVA_OPTS="$JBP_MEMORY_FLAGS${JAVA_OPTS:+ $JAVA_OPTS}"
  export JAVA_OPTS
}
