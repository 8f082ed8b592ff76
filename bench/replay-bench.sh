#!/usr/bin/env bash
# `tandem replay` benchmark: throughput from a GoReplay file against NGINX, with wrk sending the same requests
# side by side; send lag with the original timing (--speed 1) and at a fixed rate; memory against a slow target.
# See bench/README.md, section "Replay", for what is measured and how to read the output.
#
#   TANDEM_JAR=/tmp/replay-bench-tandem.jar bench/replay-bench.sh     # full run, 13-15 minutes
#   REPS=1 TP_RECORDS=100000 SWEEP_CONNS= MEM_SECONDS=20 bench/replay-bench.sh   # quick look, noisier
#   JFR=1 bench/replay-bench.sh          # plus one replay run under JFR (settings=profile), summarised by jfr-top.sh
#   PARTS="throughput lag" bench/replay-bench.sh                       # only some parts
#
# Parts ($PARTS):
#   throughput  $REPS repetitions; each runs, in a rotating order, the $VARIANTS: `tandem replay` of a .gor capture
#               of $TP_RECORDS GETs with --concurrency $CONNS, pinned with taskset (replay), the same plus
#               -XX:ActiveProcessorCount=1 (replay-ap1), the same requests in Tandem's JSONL capture format
#               (replay-jsonl), and wrk -t1 -c$CONNS -d${DURATION}s sending the same paths round-robin
#               (bench/wrk-replay.lua). Ratios to wrk are taken within each repetition (paired), then the median.
#   sweep       once each: replay and wrk with $SWEEP_CONNS connections (CONNS itself comes from the throughput part).
#   lag         $REPS repetitions of: --speed 1 on .gor captures spaced at $LAG_RATES req/s for $LAG_SECONDS s, on
#               JSONL captures at $LAG_JSONL_RATES req/s, and --rate $FIXED_RATE on a capture of FIXED_RATE ×
#               LAG_SECONDS requests. Besides the lag that replay prints, the target's access log (arrival time of
#               each request, numbered by an X-Seq header) gives the lag seen by the target, overall and after the
#               first $LAG_SKIP s (default: the second half), and per second of the schedule.
#   memory      replay of $MEM_RECORDS records against a server that answers after $SLOW_DELAY s (slow-shadow.py),
#               VmRSS sampled every second for $MEM_SECONDS s, then a class histogram; for each of $MEM_CASES:
#               a request-only .gor, a .gor with each request's recorded response, a request-only JSONL capture.
#
# Layout: core $CLIENT_CPU (0) runs the client under test (replay's JVM, or wrk); core $TARGET_CPU (1) runs the
# target NGINX (one worker, `return 200 '{"ok":true}'`, keep-alive) and the slow server. 127.0.0.1 only; captures
# and temp files live in one mktemp dir; every process started here is stopped on exit. Output goes to
# bench/results/replay-<timestamp>/ (gitignored); bench/replay-summarize.sh DIR prints the tables again.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

JAR=${TANDEM_JAR:-$ROOT/proxy/target/tandem.jar}
JAVA=${JAVA:-java}
JAVA_OPTS=${JAVA_OPTS:-}                  # extra JVM flags for every replay run
NGINX=${NGINX:-/usr/sbin/nginx}
WRK=${WRK:-wrk}
PYTHON=${PYTHON:-python3}
PARTS=${PARTS:-"throughput sweep lag memory"}
REPS=${REPS:-3}                           # repetitions of the throughput and lag parts
TP_RECORDS=${TP_RECORDS:-200000}          # GETs in the throughput capture
CONNS=${CONNS:-64}                        # replay --concurrency and wrk -c in the throughput part
DURATION=${DURATION:-10}                  # seconds per wrk run
VARIANTS=${VARIANTS-"replay replay-ap1 replay-jsonl wrk"}  # see "Parts" above
SWEEP_CONNS=${SWEEP_CONNS-"16 256"}
LAG_RATES=${LAG_RATES:-"2000 8000"}       # original request rates of the --speed 1 .gor captures
LAG_JSONL_RATES=${LAG_JSONL_RATES-8000}  # ... and of the JSONL ones (empty: none)
LAG_SECONDS=${LAG_SECONDS:-20}            # length of each timed capture
FIXED_RATE=${FIXED_RATE-5000}            # --rate N case (empty: skip)
LAG_SKIP=${LAG_SKIP:-$((LAG_SECONDS / 2))}  # target-side lag is also given without the first LAG_SKIP s
MEM_RECORDS=${MEM_RECORDS:-1000000}
MEM_SECONDS=${MEM_SECONDS:-30}
MEM_CASES=${MEM_CASES-"requests-only with-responses jsonl"}
SLOW_DELAY=${SLOW_DELAY:-0.5}
CLIENT_CPU=${CLIENT_CPU:-0}
TARGET_CPU=${TARGET_CPU:-1}
JFR=${JFR:-}
TAG=${TAG:-}
QUIET_WAIT=${QUIET_WAIT:-120}             # max seconds to wait for an idle machine before each run
FOREIGN_MAX=${FOREIGN_MAX:-10}            # a run in which other processes used more than this % of a core ...
RETRIES=${RETRIES:-2}                     # ... is measured again, at most this many times
NGINX_PORT=19101                          # the target, no access log
LOG_PORT=19102                            # the same target with an access log (lag part)
SLOW_PORT=19103                           # slow-shadow.py (memory part)

RESULTS=${RESULTS:-$HERE/results/replay-$(date +%Y%m%d-%H%M%S)${TAG:+-$TAG}}
mkdir -p "$RESULTS/raw"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tandem-replay-bench.XXXXXX")
PIDS=()

# shellcheck source=lib.sh
. "$HERE/lib.sh"   # log, die, cleanup trap, nginx_common, CPU accounting, wait_quiet
bench_init_traps

# ---------------------------------------------------------------------------------------------------- preflight
require_tools "$NGINX" "$WRK" "$JAVA" "$PYTHON" taskset curl awk pgrep ss
[ -f "$JAR" ] || die "$JAR missing: build it with (cd $ROOT && mvn -B -q -DskipTests package)"
[ "$(nproc --all)" -ge 2 ] || die "needs at least 2 cores"
require_free_ports $NGINX_PORT $LOG_PORT $SLOW_PORT
cp "$JAR" "$TMP/tandem.jar"   # a private copy: a rebuild during the run cannot change the code under test
JAR_INFO=$(jar_info "$JAR" "$TMP/tandem.jar")
CLK_TCK=$(getconf CLK_TCK)
JCMD=$(dirname "$(readlink -f "$(command -v "$JAVA")")")/jcmd
has_part() { [[ " $PARTS " == *" $1 "* ]]; }
log "results in $RESULTS"

# ----------------------------------------------------------------------------------------------------- captures
GEN=("$PYTHON" "$HERE/replay-gen.py")
log "writing captures"
if has_part throughput || has_part sweep || [ -n "$JFR" ]; then
  "${GEN[@]}" --count "$TP_RECORDS" --rate 20000 --out "$TMP/get.gor" --paths "$TMP/get.paths"
  [[ " $VARIANTS " != *" replay-jsonl "* ]] || "${GEN[@]}" --count "$TP_RECORDS" --rate 20000 --format tandem --out "$TMP/get.jsonl"
fi
if has_part lag; then
  for r in $LAG_RATES; do
    "${GEN[@]}" --count "$((r * LAG_SECONDS))" --rate "$r" --seq --out "$TMP/speed-$r.gor"
  done
  for r in $LAG_JSONL_RATES; do
    "${GEN[@]}" --count "$((r * LAG_SECONDS))" --rate "$r" --seq --format tandem --out "$TMP/speed-$r.jsonl"
  done
  if [ -n "$FIXED_RATE" ]; then
    "${GEN[@]}" --count "$((FIXED_RATE * LAG_SECONDS))" --rate 20000 --seq --out "$TMP/rate-$FIXED_RATE.gor"
  fi
fi
if has_part memory; then
  for c in $MEM_CASES; do
    case $c in
      requests-only) "${GEN[@]}" --count "$MEM_RECORDS" --rate 20000 --out "$TMP/mem-$c.gor" ;;
      with-responses) "${GEN[@]}" --count "$MEM_RECORDS" --rate 20000 --responses --out "$TMP/mem-$c.gor" ;;
      jsonl) "${GEN[@]}" --count "$MEM_RECORDS" --rate 20000 --format tandem --out "$TMP/mem-$c.jsonl" ;;
      *) die "unknown MEM_CASES entry $c" ;;
    esac
  done
fi
ls -l "$TMP"/*.gor "$TMP"/*.jsonl 2>/dev/null | awk '{ print $5, $NF }' > "$RESULTS/captures.txt" || true

# ------------------------------------------------------------------------------------------------------ target
mkdir -p "$TMP/nginx"
{
  nginx_common "$TMP/nginx"
  cat <<EOF
  log_format seq '\$msec \$http_x_seq';
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=4096;
    location / { default_type application/json; return 200 '{"ok":true}'; }
  }
  server {
    listen 127.0.0.1:$LOG_PORT backlog=4096;
    access_log $TMP/nginx/seq.log seq buffer=256k flush=500ms;
    location / { default_type application/json; return 200 '{"ok":true}'; }
  }
}
EOF
} > "$TMP/nginx/nginx.conf"
taskset -c "$TARGET_CPU" "$NGINX" -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" \
  >"$RESULTS/nginx.log" 2>&1 &
NGINX_PID=$!; PIDS+=("$NGINX_PID")
wait_http "http://127.0.0.1:$NGINX_PORT/" "$NGINX_PID"
wait_http "http://127.0.0.1:$LOG_PORT/" "$NGINX_PID"
[ "$(curl -fsS "http://127.0.0.1:$NGINX_PORT/orders/1")" = '{"ok":true}' ] || die "the target does not answer {\"ok\":true}"
if has_part memory; then
  taskset -c "$TARGET_CPU" "$PYTHON" "$HERE/slow-shadow.py" --port "$SLOW_PORT" --delay "$SLOW_DELAY" \
    >"$RESULTS/slow-server.log" 2>&1 &
  SLOW_PID=$!; PIDS+=("$SLOW_PID")
  wait_http "http://127.0.0.1:$SLOW_PORT/__stats" "$SLOW_PID"
fi
log "target nginx pid $NGINX_PID (core $TARGET_CPU); clients on core $CLIENT_CPU"

# ------------------------------------------------------------------------------------------------------ helpers
# One replay run, pinned: stdout+stderr to OUT.txt, GC log to OUT.gc.log. Prints "user_s sys_s exit_code".
replay_run() { # variant outprefix replay-args...
  local variant=$1 out=$2 ap=() t rc=0
  shift 2
  [ "$variant" = replay-ap1 ] && ap=(-XX:ActiveProcessorCount=1)
  # shellcheck disable=SC2086
  t=$( { TIMEFORMAT='%U %S'; time taskset -c "$CLIENT_CPU" "$JAVA" "${ap[@]}" $JAVA_OPTS -Xlog:gc:file="$out.gc.log" \
    -jar "$TMP/tandem.jar" replay "$@" --progress never --max-diff-rate 100 >"$out.txt" 2>&1 || echo "rc=$?" >"$out.rc"; } 2>&1 )
  [ -f "$out.rc" ] && rc=$(cut -d= -f2 "$out.rc")
  echo "$t $rc"
}
# "requests seconds rps failed" from replay's "Sent N requests to URL in X s (R/s), F failed" line.
sent_line() { sed -n 's/^Sent \([0-9]*\) requests to .* in \([0-9.]*\) s (\([0-9]*\)\/s), \([0-9]*\) failed.*/\1 \2 \3 \4/p' "$1"; }
# "p50 p95 p99" (ms) of the target from the first "Latency" line; "p50 p99 max" from the "Send lag" line.
latency_line() { sed -n 's/^Latency .* p50 \([0-9.]*\) ms, p95 \([0-9.]*\) ms, p99 \([0-9.]*\) ms.*/\1 \2 \3/p' "$1" | head -n1; }
lag_line() { sed -n 's/^Send lag .* p50 \([0-9.]*\) ms, p99 \([0-9.]*\) ms, max \([0-9.]*\) ms.*/\1 \2 \3/p' "$1"; }
# "count total_ms max_ms" of the GC pauses in a -Xlog:gc file.
gc_pauses() { awk '/Pause/ { v = $NF; sub(/ms$/, "", v); v += 0; s += v; n++; if (v > m) m = v } END { printf "%d %.0f %.0f", n, s, m }' "$1" 2>/dev/null || echo "0 0 0"; }
foreign_pct() { # busy-ticks-delta our-ticks-delta client-cpu-seconds wall-nanos
  awk -v db="$1" -v ours="$2" -v c="$3" -v dt="$4" -v hz="$CLK_TCK" \
    'BEGIN { f = 100 * ((db - ours) / hz - c) / (dt / 1e9); if (f < 0) f = 0; printf "%.0f", f }'
}

# ------------------------------------------------------------------------------------------------- throughput
printf 'part\trep\tvariant\tconns\trequests\tseconds\trps\twall_s\tclient_cpu_s\tclient_cpu_us_per_req\tclient_cpu_pct\tnginx_cpu_pct\tp50_ms\tp99_ms\tgc_pauses\tgc_pause_ms\tgc_max_ms\terrors\texit\tforeign_cpu_pct\tattempt\n' \
  > "$RESULTS/runs.tsv"

measure_tp() { # part rep variant conns
  local part=$1 rep=$2 variant=$3 conns=$4 out attempt t0 t1 n0 n1 b0 b1 res user sys rc row foreign
  local requests seconds rps failed p50 p95 p99 gc line file
  for attempt in $(seq 1 $((RETRIES + 1))); do
    out="$RESULTS/raw/$part-rep$rep-$variant-c$conns-$attempt"
    wait_quiet
    n0=$(cpu_ticks "$NGINX_PID"); b0=$(busy_ticks); t0=$(date +%s%N)
    if [ "$variant" = wrk ]; then
      res=$( { TIMEFORMAT='%U %S'; time BENCH_PATHS="$TMP/get.paths" taskset -c "$CLIENT_CPU" "$WRK" -t1 -c"$conns" \
        -d"$DURATION"s --latency -s "$HERE/wrk-replay.lua" "http://127.0.0.1:$NGINX_PORT" >"$out.txt" 2>&1; } 2>&1 )
      res="$res 0"
    else
      file="$TMP/get.gor"; [ "$variant" = replay-jsonl ] && file="$TMP/get.jsonl"
      res=$(replay_run "$variant" "$out" "$file" --target "http://127.0.0.1:$NGINX_PORT" --concurrency "$conns")
    fi
    n1=$(cpu_ticks "$NGINX_PID"); b1=$(busy_ticks); t1=$(date +%s%N)
    read -r user sys rc <<<"$res"
    if [ "$variant" = wrk ]; then
      line=$(grep '^BENCH ' "$out.txt") || die "no result in $out.txt"
      # shellcheck disable=SC2086
      local $(echo "${line#BENCH }")   # requests= rps= p50_us= ... as locals
      seconds=$(awk -v d="$duration_us" 'BEGIN { printf "%.2f", d / 1e6 }')
      p50=$(awk -v v="$p50_us" 'BEGIN { printf "%.2f", v / 1000 }'); p99=$(awk -v v="$p99_us" 'BEGIN { printf "%.2f", v / 1000 }')
      failed=$((err_connect + err_read + err_write + err_status + err_timeout))
      gc="0 0 0"
    else
      read -r requests seconds rps failed <<<"$(sent_line "$out.txt")"
      [ -n "${requests:-}" ] || die "no 'Sent' line in $out.txt (exit $rc)"
      read -r p50 p95 p99 <<<"$(latency_line "$out.txt")"
      gc=$(gc_pauses "$out.gc.log")
      case $rc in 0|3) ;; *) log "WARNING: replay exited $rc (see $out.txt)" ;; esac
    fi
    foreign=$(foreign_pct "$((b1 - b0))" "$((n1 - n0))" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$((t1 - t0))")
    row=$(awk -v part="$part" -v rep="$rep" -v v="$variant" -v c="$conns" -v n="$requests" -v secs="$seconds" -v rps="$rps" \
      -v dt="$((t1 - t0))" -v u="$user" -v s="$sys" -v dn="$((n1 - n0))" -v hz="$CLK_TCK" -v p50="$p50" -v p99="$p99" \
      -v gc="$gc" -v err="$failed" -v rc="$rc" -v f="$foreign" -v att="$attempt" 'BEGIN {
        wall = dt / 1e9; split(gc, g, " ")
        printf "%s\t%s\t%s\t%s\t%d\t%s\t%.0f\t%.2f\t%.2f\t%.1f\t%.0f\t%.0f\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%d\n",
          part, rep, v, c, n, secs, rps, wall, u + s, 1e6 * (u + s) / n, 100 * (u + s) / wall, 100 * dn / hz / wall,
          p50, p99, g[1], g[2], g[3], err, rc, f, att }')
    log "$part rep $rep $variant c$conns: $(awk -F'\t' '{ printf "%s req/s (%s requests in %s s; wall %s s), client CPU %s us/req, nginx CPU %s%%, p99 %s ms, GC pauses %s ms, foreign CPU %s%%", $7, $5, $6, $8, $10, $12, $14, $16, $20 }' <<<"$row")"
    [ "$failed" -eq 0 ] || log "WARNING: $failed errors in $out.txt"
    keep_run "$RESULTS/runs.tsv" "$row" "$foreign" "$attempt" && return
  done
}

if has_part throughput || has_part sweep; then
  # A sanity check of the capture (every record parses; as many requests as paths) and of wrk's script.
  # Timed: JVM start plus one pass over the file, which a real run also makes before sending anything.
  dry=$( { TIMEFORMAT='%R %U %S'; time taskset -c "$CLIENT_CPU" "$JAVA" $JAVA_OPTS -jar "$TMP/tandem.jar" replay "$TMP/get.gor" \
    --dry-run >"$RESULTS/raw/dry-run.txt" 2>&1; } 2>&1 ) || die "replay --dry-run failed: $(cat "$RESULTS/raw/dry-run.txt")"
  grep -q "^$TP_RECORDS requests" "$RESULTS/raw/dry-run.txt" || die "dry run: $(cat "$RESULTS/raw/dry-run.txt")"
  echo "dry-run wall/user/sys s: $dry" >> "$RESULTS/raw/dry-run.txt"
  log "capture: $(head -n1 "$RESULTS/raw/dry-run.txt"); --dry-run took $(awk '{ printf "%.1f s wall, %.1f s CPU", $1, $2 + $3 }' <<<"$dry")"
  BENCH_PATHS="$TMP/get.paths" taskset -c "$CLIENT_CPU" "$WRK" -t1 -c"$CONNS" -d3s -s "$HERE/wrk-replay.lua" \
    "http://127.0.0.1:$NGINX_PORT" >"$RESULTS/raw/wrk-settle.txt" 2>&1   # also settles NGINX
  grep -q 'err_status=0 err_timeout=0' "$RESULTS/raw/wrk-settle.txt" || die "wrk settle run had errors"
fi

if has_part throughput; then
  read -r -a order <<<"$VARIANTS"
  for rep in $(seq 1 "$REPS"); do
    n=${#order[@]}
    for ((i = 0; i < n; i++)); do   # rotate: no variant always first or last
      measure_tp throughput "$rep" "${order[$(((i + rep - 1) % n))]}" "$CONNS"
    done
  done
fi
if has_part sweep; then
  for c in $SWEEP_CONNS; do
    measure_tp sweep 1 replay "$c"
    measure_tp sweep 1 wrk "$c"
  done
fi

if [ -n "$JFR" ]; then
  out="$RESULTS/raw/jfr-replay"
  log "one replay run under JFR (settings=profile)"
  JAVA_OPTS="$JAVA_OPTS -XX:StartFlightRecording=filename=$RESULTS/replay.jfr,settings=profile" \
    replay_run replay "$out" "$TMP/get.gor" --target "http://127.0.0.1:$NGINX_PORT" --concurrency "$CONNS" >/dev/null
  log "JFR run: $(grep '^Sent' "$out.txt" || true)"
  "$HERE/jfr-top.sh" "$RESULTS/replay.jfr" 40 > "$RESULTS/jfr-top.txt" 2>&1 || log "jfr-top.sh failed"
fi

# -------------------------------------------------------------------------------------------------------- lag
# Target-side lag from the access log ("msec seq" lines): each request's arrival minus its schedule offset
# (seq / rate), less the smallest such difference, so the least-late request counts as 0. NGINX's $msec has
# millisecond resolution. Prints "p50 p99 max p50_after p99_after max_after" in ms; the per-second maxima go to $2.
target_lag() { # logfile timeline-out schedule-rate skip-seconds
  awk -v r="$3" '{ off = $1 - $2 / r; o[NR] = off; s[NR] = $2 / r; if (NR == 1 || off < min) min = off }
    END { for (i = 1; i <= NR; i++) printf "%.1f %.4f\n", (o[i] - min) * 1000, s[i] }' "$1" > "$TMP/lags"
  awk '{ k = int($2); if (!(k in m) || $1 > m[k]) m[k] = $1 } END { for (k in m) print k, m[k] }' "$TMP/lags" \
    | sort -n | awk 'BEGIN { printf "schedule_second max_lag_ms:" } { printf " %s:%s", $1, $2 } END { print "" }' > "$2"
  pct() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { printf "nan nan nan"; exit }
    i50 = int(0.50 * NR); i99 = int(0.99 * NR); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
    printf "%s %s %s", v[i50], v[i99], v[NR] }'; }
  echo "$(cut -d' ' -f1 "$TMP/lags" | pct) $(awk -v k="$4" '$2 >= k { print $1 }' "$TMP/lags" | pct)"
}

printf 'rep\tcase\tpacing\trequests\tseconds\trps\tlag_p50_ms\tlag_p99_ms\tlag_max_ms\ttarget_p50_ms\ttarget_p99_ms\ttarget_max_ms\ttarget_p50_after_ms\ttarget_p99_after_ms\ttarget_max_after_ms\tgc_pauses\tgc_pause_ms\tgc_max_ms\tclient_cpu_s\texit\tforeign_cpu_pct\tattempt\n' \
  > "$RESULTS/lag.tsv"

measure_lag() { # rep case
  local rep=$1 case=$2 file pacing sched out attempt res user sys rc t0 t1 n0 n1 b0 b1 foreign row tl fields
  local requests seconds rps failed lp50 lp99 lmax
  # case: speed-<rate>[-jsonl] (--speed 1 on the capture written at that rate) or rate-<rate> (--rate)
  local kind=${case%%-*} rest=${case#*-} ext=gor
  [[ $rest == *-jsonl ]] && { ext=jsonl; rest=${rest%-jsonl}; }
  sched=$rest; file="$TMP/$kind-$rest.$ext"
  case $kind in
    speed) pacing=(--speed 1) ;;
    rate) pacing=(--rate "$rest") ;;
    *) die "unknown lag case $case" ;;
  esac
  for attempt in $(seq 1 $((RETRIES + 1))); do
    out="$RESULTS/raw/lag-rep$rep-$case-$attempt"
    wait_quiet
    : > "$TMP/nginx/seq.log"
    n0=$(cpu_ticks "$NGINX_PID"); b0=$(busy_ticks); t0=$(date +%s%N)
    res=$(replay_run replay "$out" "$file" --target "http://127.0.0.1:$LOG_PORT" --concurrency "$CONNS" "${pacing[@]}")
    n1=$(cpu_ticks "$NGINX_PID"); b1=$(busy_ticks); t1=$(date +%s%N)
    read -r user sys rc <<<"$res"
    sleep 1   # the access log's buffer is flushed every 500 ms
    read -r requests seconds rps failed <<<"$(sent_line "$out.txt")"
    [ -n "${requests:-}" ] || die "no 'Sent' line in $out.txt (exit $rc)"
    read -r lp50 lp99 lmax <<<"$(lag_line "$out.txt")"
    [ "$(wc -l < "$TMP/nginx/seq.log")" -eq "$requests" ] || log "WARNING: access log has $(wc -l < "$TMP/nginx/seq.log") lines for $requests requests"
    tl=$(target_lag "$TMP/nginx/seq.log" "$out.timeline.txt" "$sched" "$LAG_SKIP")
    gzip -c "$TMP/nginx/seq.log" > "$out.access.log.gz"
    foreign=$(foreign_pct "$((b1 - b0))" "$((n1 - n0))" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$((t1 - t0))")
    # shellcheck disable=SC2206
    fields=("$rep" "$case" "${pacing[*]}" "$requests" "$seconds" "$rps" "$lp50" "$lp99" "$lmax" $tl \
      $(gc_pauses "$out.gc.log") "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$rc" "$foreign" "$attempt")
    row=$(IFS=$'\t'; echo "${fields[*]}")
    log "lag rep $rep $case: $requests requests at $rps/s; replay's lag p50 $lp50, p99 $lp99, max $lmax ms; at the target: p99 $(cut -f11 <<<"$row"), max $(cut -f12 <<<"$row") ms, after ${LAG_SKIP} s p99 $(cut -f14 <<<"$row"), max $(cut -f15 <<<"$row") ms; foreign CPU $foreign%"
    [ "$failed" -eq 0 ] || log "WARNING: $failed errors in $out.txt"
    keep_run "$RESULTS/lag.tsv" "$row" "$foreign" "$attempt" && return
  done
}

if has_part lag; then
  cases=()
  for r in $LAG_RATES; do cases+=("speed-$r"); done
  for r in $LAG_JSONL_RATES; do cases+=("speed-$r-jsonl"); done
  [ -z "$FIXED_RATE" ] || cases+=("rate-$FIXED_RATE")
  for rep in $(seq 1 "$REPS"); do
    n=${#cases[@]}
    for ((i = 0; i < n; i++)); do
      measure_lag "$rep" "${cases[$(((i + rep - 1) % n))]}"
    done
  done
fi

# ----------------------------------------------------------------------------------------------------- memory
printf 'case\tsecond\trss_mb\thwm_mb\tconnections\tanswered\n' > "$RESULTS/memory.tsv"
if has_part memory; then
  for c in $MEM_CASES; do
    out="$RESULTS/raw/memory-$c"
    wait_quiet
    mfile="$TMP/mem-$c.gor"; [ "$c" = jsonl ] && mfile="$TMP/mem-$c.jsonl"
    a0=$(curl -fsS "http://127.0.0.1:$SLOW_PORT/__stats" | sed -n 's/.*answered=\([0-9]*\).*/\1/p')
    # shellcheck disable=SC2086
    taskset -c "$CLIENT_CPU" "$JAVA" $JAVA_OPTS -Xlog:gc:file="$out.gc.log" -jar "$TMP/tandem.jar" replay "$mfile" \
      --target "http://127.0.0.1:$SLOW_PORT" --concurrency "$CONNS" --progress never --max-diff-rate 100 >"$out.txt" 2>&1 &
    rpid=$!; PIDS+=("$rpid")
    for s in $(seq 1 "$MEM_SECONDS"); do
      sleep 1
      kill -0 "$rpid" 2>/dev/null || { log "WARNING: the replay ended after $s s"; break; }
      rss=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$rpid/status")
      hwm=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$rpid/status")
      conns=$(ss -Htn state established "( dport = :$SLOW_PORT )" | wc -l)
      a1=$(curl -fsS "http://127.0.0.1:$SLOW_PORT/__stats" | sed -n 's/.*answered=\([0-9]*\).*/\1/p')
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$s" "$rss" "$hwm" "$conns" "$((a1 - a0))" >> "$RESULTS/memory.tsv"
    done
    if kill -0 "$rpid" 2>/dev/null; then
      # What the heap holds (a class histogram forces a full GC first), then stop the replay.
      "$JCMD" "$rpid" GC.class_histogram > "$out.histogram.txt" 2>&1 || true
      "$JCMD" "$rpid" GC.heap_info > "$out.heap.txt" 2>&1 || true
      kill -TERM "$rpid" 2>/dev/null || true
    fi
    wait "$rpid" 2>/dev/null || true
    log "memory $c: $(awk -F'\t' -v c="$c" '$1 == c { if ($3 > m) m = $3; last = $3; hwm = $4; a = $6; n++ }
      END { printf "max RSS %s MB, last %s MB, VmHWM %s MB over %d s; %s requests answered", m, last, hwm, n, a }' "$RESULTS/memory.tsv")"
  done
fi

# ---------------------------------------------------------------------------------------------------- summary
{
  echo "command: TANDEM_JAR=$JAR JAVA_OPTS='$JAVA_OPTS' PARTS='$PARTS' REPS=$REPS TP_RECORDS=$TP_RECORDS CONNS=$CONNS" \
    "DURATION=$DURATION VARIANTS='$VARIANTS' SWEEP_CONNS='$SWEEP_CONNS' LAG_RATES='$LAG_RATES' LAG_JSONL_RATES='$LAG_JSONL_RATES'" \
    "LAG_SECONDS=$LAG_SECONDS LAG_SKIP=$LAG_SKIP MEM_CASES='$MEM_CASES'" \
    "FIXED_RATE=$FIXED_RATE MEM_RECORDS=$MEM_RECORDS MEM_SECONDS=$MEM_SECONDS bench/replay-bench.sh"
  machine_info "$NGINX" "$WRK" "$JAVA" "$JAR_INFO"
} > "$RESULTS/machine.txt"
"$HERE/replay-summarize.sh" "$RESULTS" | tee "$RESULTS/summary.txt"
ln -sfn "$RESULTS" "$HERE/results/latest-replay"
log "done: $RESULTS/summary.txt"
