#!/usr/bin/env bash
# Memory benchmark: Tandem at a fixed rate with 100% mirroring and comparison, for DURATION seconds (10 minutes by
# default), its heap and RSS sampled every SAMPLE seconds; once with a fast shadow whose answers differ from the
# primary's (every comparison finds a difference and keeps samples), once with a shadow that never answers (every
# copy waits for its timeout). Flat means: what the last minutes hold is what the second minute held.
#
#   bench/memory-bench.sh                          # both runs, ~21 minutes
#   DURATION=120 SHADOWS=hang bench/memory-bench.sh   # quicker, one shadow
#
# Layout as in the other benchmarks: Tandem on core $PROXY_CPU with one event loop, wrk, the backends and the
# shadows on core $LOAD_CPU; 127.0.0.1 only; temp files in one mktemp dir; results in bench/results/memory-<time>/.
# Heap figures come from Tandem's own /metrics (jvm_memory_used_bytes by pool, every SAMPLE s); the old
# generation's lowest value in each minute approximates the live heap after collections. RSS from /proc/PID/status.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

JAR=${TANDEM_JAR:-$ROOT/proxy/target/tandem.jar}
JAVA=${JAVA:-java}
JAVA_OPTS=${JAVA_OPTS:-"-Xmx256m"}       # a fixed ceiling: a leak shows as a rising floor, not as heap growth
NGINX=${NGINX:-/usr/sbin/nginx}
WRK=${WRK:-wrk}
DURATION=${DURATION:-600}                # seconds per shadow
SAMPLE=${SAMPLE:-10}                     # seconds between samples
RATE=${RATE:-5000}                       # requests per second offered (GET and POST alternate per connection)
CONNS=${CONNS:-32}
SHADOWS=${SHADOWS:-"fast hang"}
MIRROR_TIMEOUT=${MIRROR_TIMEOUT:-2}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
ADMIN_TOKEN=bench-admin-token
BACKEND_PORT=19001
FAST_PORT=19002
HANG_PORT=19004
TANDEM_PORT=18080
ADMIN_PORT=18081

RESULTS=${RESULTS:-$HERE/results/memory-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$RESULTS/raw"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tandem-memory-bench.XXXXXX")
PIDS=()
# shellcheck source=lib.sh
. "$HERE/lib.sh"
bench_init_traps
require_tools "$NGINX" "$WRK" "$JAVA" curl python3 taskset
require_free_ports $BACKEND_PORT $FAST_PORT $HANG_PORT $TANDEM_PORT $ADMIN_PORT
cp "$JAR" "$TMP/tandem.jar"

# The primary and the fast shadow answer the same order, except for a renamed field and a timestamp: every
# comparison differs, so the comparator keeps samples (bounded by comparator.maxSamples) and per-endpoint stats.
order() { # customer-key served-at
  printf '{"id":42,"status":"NEW","%s":"customer-7","items":[' "$1"
  for i in $(seq 1 12); do printf '{"sku":"SKU-%d","quantity":%d,"unitPrice":%d.50},' "$i" "$i" "$((i * 3))"; done
  printf '{"sku":"SKU-99","quantity":1,"unitPrice":1.00}],"total":512.75,"servedAt":"%s"}' "$2"
}
json_server() { # dir port body
  mkdir -p "$1"
  {
    nginx_common "$1"
    cat <<EOF
  server {
    listen 127.0.0.1:$2 backlog=4096;
    client_body_buffer_size 16k;
    location / {
      default_type application/json;
      return 200 '$3';
    }
  }
}
EOF
  } > "$1/nginx.conf"
  taskset -c "$LOAD_CPU" "$NGINX" -p "$1" -e "$1/error.log" -c "$1/nginx.conf" >"$RESULTS/$(basename "$1")-nginx.log" 2>&1 &
  STARTED_PID=$!; PIDS+=("$STARTED_PID")
}
json_server "$TMP/backend" $BACKEND_PORT "$(order customer 2026-01-01T00:00:00Z)"; BACKEND_PID=$STARTED_PID
json_server "$TMP/fast" $FAST_PORT "$(order customerName 2026-01-01T00:00:01Z)"; FAST_PID=$STARTED_PID
taskset -c "$LOAD_CPU" python3 "$HERE/slow-shadow.py" --port $HANG_PORT --delay -1 >"$RESULTS/hang-shadow.log" 2>&1 &
HANG_PID=$!; PIDS+=("$HANG_PID")

cat > "$TMP/tandem.yaml" <<EOF
server: { host: 127.0.0.1, port: $TANDEM_PORT, instances: 1 }
admin:  { host: 127.0.0.1, port: $ADMIN_PORT, token: $ADMIN_TOKEN }
backends:
  legacy: { url: http://127.0.0.1:$BACKEND_PORT, maxConnections: 256 }
  candidate_fast: { url: http://127.0.0.1:$FAST_PORT, maxConnections: 256 }
  candidate_hang: { url: http://127.0.0.1:$HANG_PORT, maxConnections: 256 }
routes:
  - name: fast
    match: { pathPrefix: /fast/ }
    primary: legacy
    mirror: { backend: candidate_fast, percent: 100, compare: true, timeout: ${MIRROR_TIMEOUT}s }
  - name: hang
    match: { pathPrefix: /hang/ }
    primary: legacy
    mirror: { backend: candidate_hang, percent: 100, compare: true, timeout: ${MIRROR_TIMEOUT}s }
deadLetters: { file: $TMP/dlq.jsonl }
EOF
cp "$TMP/tandem.yaml" "$RESULTS/"
# shellcheck disable=SC2086
taskset -c "$PROXY_CPU" "$JAVA" -XX:ActiveProcessorCount=1 $JAVA_OPTS -jar "$TMP/tandem.jar" proxy \
  --config "$TMP/tandem.yaml" >"$RESULTS/tandem.log" 2>&1 &
TANDEM_PID=$!; PIDS+=("$TANDEM_PID")
wait_http "http://127.0.0.1:$BACKEND_PORT/" "$BACKEND_PID"
wait_http "http://127.0.0.1:$FAST_PORT/" "$FAST_PID"
wait_http "http://127.0.0.1:$HANG_PORT/__stats" "$HANG_PID"
wait_http "http://127.0.0.1:$TANDEM_PORT/fast/" "$TANDEM_PID"

metric() { # regex over the whole sample line -> sum of the matching samples' values (label values have spaces)
  awk -v re="$1" '$0 !~ /^#/ && $0 ~ re { s += $NF } END { printf "%.0f", s }' "$TMP/metrics"
}
# The old generation right after a full collection (jcmd GC.run): what the heap really holds, where the floor of
# the samples also counts garbage promoted since the last full collection (SerialGC may run none in minutes).
live_heap() {
  "$JCMD" "$TANDEM_PID" GC.run >/dev/null 2>&1 || { echo 0; return; }
  curl -fsS --max-time 5 "http://127.0.0.1:$ADMIN_PORT/metrics" > "$TMP/metrics.live" || { echo 0; return; }
  awk '$0 !~ /^#/ && $0 ~ /^jvm_memory_used_bytes[{]area="heap",id="(Tenured Gen|G1 Old Gen|PS Old Gen)"/ { s += $NF }
    END { printf "%.0f", s }' "$TMP/metrics.live"
}
JCMD=${JCMD:-$(dirname "$(readlink -f "$(command -v "$JAVA")")")/jcmd}
printf 'shadow\tlive_after_1min\tlive_at_end\n' > "$RESULTS/live.tsv"
printf 'shadow\tsecond\trss_kb\theap_used\told_used\tmirror_in_flight\tcomparisons_waiting\trequests\n' \
  > "$RESULTS/samples.tsv"
for shadow in $SHADOWS; do
  log "$shadow shadow: $RATE req/s for ${DURATION}s, sampling every ${SAMPLE}s"
  BENCH_RATE=$RATE BENCH_THREADS=2 BENCH_METHOD=${METHOD:-GET} taskset -c "$LOAD_CPU" "$WRK" -t2 -c"$CONNS" \
    -d"$DURATION"s --timeout 10s -s "$HERE/wrk-mirror.lua" "http://127.0.0.1:$TANDEM_PORT/$shadow/" \
    >"$RESULTS/raw/wrk-$shadow.txt" 2>&1 &
  WRK_PID=$!
  start=$(date +%s)
  early=
  while kill -0 "$WRK_PID" 2>/dev/null; do
    sleep "$SAMPLE"
    if [ -z "$early" ] && [ $(($(date +%s) - start)) -ge 60 ]; then
      early=$(live_heap) # after the first minute: the live heap once the JIT and the pools have settled
    fi
    curl -fsS --max-time 5 "http://127.0.0.1:$ADMIN_PORT/metrics" > "$TMP/metrics" || continue
    printf '%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n' "$shadow" "$(($(date +%s) - start))" \
      "$(awk '/^VmRSS:/ { print $2 }' "/proc/$TANDEM_PID/status")" \
      "$(metric '^jvm_memory_used_bytes[{]area="heap"')" \
      "$(metric '^jvm_memory_used_bytes[{]area="heap",id="(Tenured Gen|G1 Old Gen|PS Old Gen)"')" \
      "$(metric "^tandem_mirror_in_flight[{]route=\"$shadow\"")" \
      "$(metric '^tandem_comparisons_waiting')" \
      "$(metric "^tandem_requests_total[{].*route=\"$shadow\"")" >> "$RESULTS/samples.tsv"
  done
  wait "$WRK_PID" || true
  printf '%s\t%s\t%s\n' "$shadow" "${early:-0}" "$(live_heap)" >> "$RESULTS/live.tsv"
  curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "http://127.0.0.1:$ADMIN_PORT/admin/mirror/stats" \
    > "$RESULTS/mirror-stats-$shadow.json" || true
done
kill -0 "$TANDEM_PID" 2>/dev/null || die "Tandem died during the run (see $RESULTS/tandem.log)"

# Per shadow: RSS and the old generation's floor (lowest sample of the minute) in the second minute against the
# last minute, in MB, and the drift between them.
awk -F'\t' 'NR > 1 { m = int(($2 - 1) / 60); k = $1 SUBSEP m
    if (!(k in old) || $5 < old[k]) old[k] = $5
    rss[k] = $3; if (!($1 in last) || m > last[$1]) last[$1] = m; seen[$1] = 1 }
  END {
    printf "%-6s %14s %14s %10s %16s %16s %10s\n", "shadow", "RSS min 2 (MB)", "RSS last (MB)", "RSS drift",
      "old floor min 2", "old floor last", "old drift"
    for (s in seen) { a = s SUBSEP (last[s] >= 1 ? 1 : 0); b = s SUBSEP last[s]
      printf "%-6s %14.0f %14.0f %9.1f%% %16.1f %16.1f %9.1f%%\n", s, rss[a] / 1024, rss[b] / 1024,
        (rss[a] > 0 ? 100 * (rss[b] - rss[a]) / rss[a] : 0), old[a] / 1048576, old[b] / 1048576,
        (old[a] > 0 ? 100 * (old[b] - old[a]) / old[a] : 0) } }' "$RESULTS/samples.tsv" | tee "$RESULTS/summary.txt"
awk -F'\t' 'NR == 1 { printf "%-6s %22s %22s %10s\n", "shadow", "live after 1 min (MB)", "live at end (MB)", "drift"; next }
  { printf "%-6s %22.1f %22.1f %9.1f%%\n", $1, $2 / 1048576, $3 / 1048576, ($2 > 0 ? 100 * ($3 - $2) / $2 : 0) }' \
  "$RESULTS/live.tsv" | tee -a "$RESULTS/summary.txt"
{
  echo "command: JAVA_OPTS='$JAVA_OPTS' DURATION=$DURATION SAMPLE=$SAMPLE RATE=$RATE CONNS=$CONNS SHADOWS='$SHADOWS' bench/memory-bench.sh"
  machine_info "$NGINX" "$WRK" "$JAVA" "$(jar_info "$JAR" "$TMP/tandem.jar")"
} > "$RESULTS/machine.txt"
ln -sfn "$RESULTS" "$HERE/results/latest-memory"
log "done: $RESULTS/summary.txt"
