#!/usr/bin/env bash
# Runs bench/proxy-bench.sh (NGINX and Tandem only) once per JVM variant and tabulates Tandem against NGINX.
# Each variant is a fresh Tandem JVM with the same pinning (taskset -c 0, -XX:ActiveProcessorCount=1).
#   bench/jvm-variants.sh                      # all variants below, ~3 minutes each
#   VARIANTS="baseline parallel" bench/jvm-variants.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
JDK25=${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}

# name -> JAVA_OPTS (a name ending in -jdk25 runs $JDK25 instead of the default java; "native" runs Tandem on
# Netty's epoll transport through experiments/NativeTransportTandem.java, see proxy-bench.sh TANDEM_NATIVE)
declare -A OPTS=(
  [baseline]=""
  [parallel]="-XX:+UseParallelGC"
  [g1]="-XX:+UseG1GC"
  [heap2g]="-Xms2g -Xmx2g -Xmn1g -XX:+AlwaysPreTouch"
  [c1only]="-XX:TieredStopAtLevel=1"
  [nometrics]="-Dvertx.disableMetrics=true"
  [nochecks]="-Dvertx.disableContextTimings=true -Dio.netty.leakDetection.level=disabled -Dio.netty.buffer.checkBounds=false -Dio.netty.buffer.checkAccessible=false"
  [baseline-jdk25]=""
  [native]=""
)
VARIANTS=${VARIANTS:-"baseline parallel g1 heap2g c1only nometrics nochecks baseline-jdk25 native"}
export REPS=${REPS:-3} DURATION=${DURATION:-8} WARMUP=${WARMUP:-15} TARGETS="nginx tandem"
STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$HERE/results/variants-$STAMP"
OUT="$HERE/results/variants-$STAMP.txt"
mkdir -p "$HERE/results"

printf '%-15s %-9s %-9s %-10s %-10s %-9s %-9s %s\n' variant "GET t/n" "POST t/n" "GET us/rq" "POST us/rq" \
  "GET p99" "POST p99" "JAVA_OPTS" > "$OUT"
for v in $VARIANTS; do
  [ "${OPTS[$v]+set}" = set ] || { echo "unknown variant $v" >&2; exit 1; }
  java_bin=java
  [[ $v == *-jdk25 ]] && java_bin=$JDK25
  dir="$HERE/results/variants-$STAMP/$v"
  echo "[$(date +%H:%M:%S)] variant $v: $java_bin ${OPTS[$v]}" >&2
  native=""; [ "$v" = native ] && native=1
  JAVA=$java_bin JAVA_OPTS="${OPTS[$v]}" TANDEM_NATIVE=$native RESULTS="$dir" "$HERE/proxy-bench.sh" > "$dir.log" 2>&1 \
    || { echo "variant $v failed, see $dir.log" >&2; continue; }
  ratio() { awk -v m="$1" '$1 == m && $3 ~ /^\[/ { print $2 }' "$dir/summary.txt"; }
  field() { awk -v m="$1" -v c="$2" '$1 == m && $2 == "tandem" { print $c }' "$dir/summary.txt"; }
  printf '%-15s %-9s %-9s %-10s %-10s %-9s %-9s %s\n' "$v" "$(ratio GET)" "$(ratio POST)" "$(field GET 7)" \
    "$(field POST 7)" "$(field GET 5)" "$(field POST 5)" "${OPTS[$v]}" >> "$OUT"
  tail -n1 "$OUT" >&2
done
echo "t/n = Tandem/NGINX req/s (paired median); us/rq = Tandem CPU per request; p99 in ms (medians)" >> "$OUT"
cat "$OUT"
