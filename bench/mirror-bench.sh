#!/usr/bin/env bash
# Mirroring benchmark: Tandem's mirror against NGINX's `mirror` directive, with a fast and a slow shadow, side by
# side in one run. See "Mirroring" in bench/README.md for what is measured and how to read the output.
#
#   bench/mirror-bench.sh                      # full run, ~9 minutes on a quiet machine
#   REPS=3 DURATION=5 bench/mirror-bench.sh    # quicker, noisier
#   RATE=15000 bench/mirror-bench.sh           # the fixed-rate Tandem runs at 15k req/s instead of 10k
#   SHADOWS="fast slow hang" bench/mirror-bench.sh   # also a shadow that never answers
#   TARGETS="nginx nginx-ka tandem" bench/mirror-bench.sh   # also NGINX mirroring to a keep-alive upstream
#   JFR=1 bench/mirror-bench.sh                # also a JFR profile of Tandem over the measured runs
#   PERF=1 bench/mirror-bench.sh               # then syscalls per request and perf profiles (fast shadow)
#
# Layout: core $PROXY_CPU (0) runs the proxy under test (Tandem's JVM, or NGINX's single worker with `mirror`);
# core $LOAD_CPU (1) runs wrk, the primary backend NGINX and the shadows. Every request goes to 127.0.0.1; temp
# files live in one mktemp dir; every process started here is stopped on exit. Results: bench/results/mirror-<time>/.
#
# The paths choose the shadow, for both proxies: /fast/ is mirrored to the fast shadow, /slow/ to the one that
# answers after SLOW_DELAY seconds, /hang/ to one that never answers. Tandem runs one route per path, each with its
# own mirror ledger (GET /admin/mirror/stats), so one warmed-up JVM serves every case.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

JAR=${TANDEM_JAR:-$ROOT/proxy/target/tandem.jar}
JAVA=${JAVA:-java}
JAVA_OPTS=${JAVA_OPTS:-}                 # extra JVM flags for Tandem (added after the pinning flags)
NGINX=${NGINX:-/usr/sbin/nginx}
WRK=${WRK:-wrk}
REPS=${REPS:-5}                          # repetitions; each runs every method × shadow × target once
DURATION=${DURATION:-5}                  # seconds per measured wrk run
WARMUP=${WARMUP:-6}                      # warm-up round: seconds of wrk against Tandem per method, fast shadow
                                         # (2 s per other shadow); rounds repeat until the JIT is quiet:
WARMUP_MAX=${WARMUP_MAX:-150}            # ... at most this many seconds of warm-up in all
JIT_QUIET=${JIT_QUIET:-2}                # ... quiet: the C1/C2 compiler threads used < this % of a core in
                                         #     each of two rounds in a row
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
BODY_BYTES=${BODY_BYTES:-1024}           # POST body size
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}          # wrk's own timeout (its default, 2 s, would drop NGINX's answers that
                                         # wait MIRROR_TIMEOUT for a silent shadow from the latency figures)
METHODS=${METHODS:-"GET POST"}
SHADOWS=${SHADOWS:-"fast slow"}          # fast: NGINX; slow: answers after SLOW_DELAY s; hang: never answers
TARGETS=${TARGETS:-"nginx tandem tandem-rate"}  # nginx: `mirror` as usually written (a new connection per
                                         # copy); tandem: as fast as wrk goes; tandem-rate: Tandem at a fixed
                                         # offered load of RATE req/s; nginx-ka: `mirror` to a keep-alive upstream
RATE=${RATE:-10000}                      # req/s offered to tandem-rate (about half of what Tandem mirrors at most)
SLOW_DELAY=${SLOW_DELAY:-0.5}            # seconds the slow shadow waits before answering
SLOW_IMPL=${SLOW_IMPL:-auto}             # slow shadow: echo (NGINX + echo module's echo_sleep) or python
                                         # (bench/slow-shadow.py); the hang shadow is always slow-shadow.py
MIRROR_TIMEOUT=${MIRROR_TIMEOUT:-2}      # seconds; Tandem's mirror timeout and NGINX's proxy_*_timeout to shadows
MIRROR_MAX_IN_FLIGHT=${MIRROR_MAX_IN_FLIGHT:-1024}
SHADOW_MAX_CONNECTIONS=${SHADOW_MAX_CONNECTIONS:-256}   # Tandem's pool to each shadow (backends.*.maxConnections)
TANDEM_IDEMPOTENCY=${TANDEM_IDEMPOTENCY:-}  # YAML for Tandem's idempotency key, e.g. '{ store: memory, maxKeys: 1000 }'
DRAIN_WAIT=${DRAIN_WAIT:-15}             # max seconds to wait after a Tandem run for its in-flight copies to settle
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
JFR=${JFR:-}                             # non-empty: JFR (settings=profile) over the measured runs -> tandem.jfr
PERF=${PERF:-}                           # non-empty: afterwards, per proxy with the fast shadow, syscalls per
                                         # request (perf stat) and a perf profile (kernel + JIT symbols)
TAG=${TAG:-}                             # appended to the results directory name
QUIET_WAIT=${QUIET_WAIT:-120}            # max seconds to wait for an idle machine before each run
FOREIGN_MAX=${FOREIGN_MAX:-10}           # a run during which other processes used more than this % of a core ...
RETRIES=${RETRIES:-2}                    # ... is measured again, at most this many times
ADMIN_TOKEN=bench-admin-token
BACKEND_PORT=19001
FAST_PORT=19002                          # fast shadow (NGINX, like the backend)
SLOW_PORT=19003                          # slow shadow
HANG_PORT=19004                          # shadow that never answers (slow-shadow.py --delay -1)
SHADOW_STATUS_PORT=19012                 # stub_status of the fast shadow NGINX
SLOW_STATUS_PORT=19013                   # stub_status of the slow shadow NGINX (echo implementation)
NGINX_PORT=18090                         # NGINX proxy with `mirror`, new connection per copy
NGINX_KA_PORT=18091                      # NGINX proxy with `mirror` over keep-alive upstreams
TANDEM_PORT=18080
ADMIN_PORT=18081

RESULTS=${RESULTS:-$HERE/results/mirror-$(date +%Y%m%d-%H%M%S)${TAG:+-$TAG}}
mkdir -p "$RESULTS/raw"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tandem-mirror-bench.XXXXXX")
PIDS=()
# shellcheck source=lib.sh
. "$HERE/lib.sh"   # log, die, cleanup trap, nginx configs, CPU accounting, wait_quiet, jit_ticks
bench_init_traps
START_SECONDS=$SECONDS

# ---------------------------------------------------------------------------------------------------- preflight
require_tools "$NGINX" "$WRK" "$JAVA" taskset curl awk pgrep jq python3
[ -f "$JAR" ] || die "$JAR missing: build it with (cd $ROOT && mvn -B -q -DskipTests package)"
[ "$(nproc --all)" -ge 2 ] || die "needs at least 2 cores"
require_free_ports $BACKEND_PORT $FAST_PORT $SLOW_PORT $HANG_PORT $SHADOW_STATUS_PORT $SLOW_STATUS_PORT \
  $NGINX_PORT $NGINX_KA_PORT $TANDEM_PORT $ADMIN_PORT
for s in $SHADOWS; do case $s in fast | slow | hang) ;; *) die "unknown shadow '$s' (fast, slow, hang)" ;; esac; done
for t in $TARGETS; do case $t in nginx | nginx-ka | tandem | tandem-rate) ;; *) die "unknown target '$t'" ;; esac; done
cp "$JAR" "$TMP/tandem.jar"   # a private copy: a rebuild during the run cannot change the code under test
JAR_INFO=$(jar_info "$JAR" "$TMP/tandem.jar")
CLK_TCK=$(getconf CLK_TCK)
JCMD=$(dirname "$(readlink -f "$(command -v "$JAVA")")")/jcmd
JSTAT=$(dirname "$JCMD")/jstat
if [ -n "$PERF" ]; then command -v perf >/dev/null || die "perf not found"; fi
ECHO_MODULE=$("$NGINX" -V 2>&1 | tr ' ' '\n' | awk -F= '$1 == "--modules-path" { print $2 }')/ngx_http_echo_module.so
if [ "$SLOW_IMPL" = auto ]; then
  if [ -f "$ECHO_MODULE" ]; then SLOW_IMPL=echo; else SLOW_IMPL=python; fi
fi
[ "$SLOW_IMPL" != echo ] || [ -f "$ECHO_MODULE" ] || die "$ECHO_MODULE missing (apt-get install libnginx-mod-http-echo)"

# -------------------------------------------------------------------------------------------- backend, shadows
# The primary backend and the fast shadow are the same NGINX server as proxy-bench.sh's backend (GET: 1 KB;
# POST: body read and discarded, "ok"). The fast shadow also has a stub_status server, whose "accepts" and
# "requests" counters show how many copies, and over how many new TCP connections, the shadow received.
mkdir -p "$TMP/backend" "$TMP/fast" "$TMP/slow" "$TMP/nginx"
nginx_backend_conf "$TMP/backend" "$BACKEND_PORT" > "$TMP/backend/nginx.conf"
{
  nginx_common "$TMP/fast"
  nginx_backend_server "$FAST_PORT"
  echo "  server { listen 127.0.0.1:$SHADOW_STATUS_PORT; location / { stub_status; } }"
  echo "}"
} > "$TMP/fast/nginx.conf"
# The slow shadow. NGINX cannot wait before answering by itself; the echo module's echo_sleep is a timer in the
# event loop (no thread or connection is blocked). The body is read first (echo_read_request_body), so keep-alive
# goes on. Without the module, bench/slow-shadow.py does the same in Python asyncio. The shadow that never answers
# is always slow-shadow.py: echo_sleep does not notice a client that gives up, so NGINX would keep every abandoned
# connection (CLOSE_WAIT) until the sleep ends and run out of worker_connections.
if [ "$SLOW_IMPL" = echo ]; then
  {
    echo "load_module $ECHO_MODULE;"
    nginx_common "$TMP/slow"
    for pd in "$SLOW_PORT $SLOW_DELAY"; do
      set -- $pd
      cat <<EOF
  server {
    listen 127.0.0.1:$1 backlog=4096;
    client_body_buffer_size 16k;
    client_max_body_size 1m;
    location / {
      # GET: the if block's commands only (1 KB, as the backend); other methods: read the body, then "ok".
      if (\$request_method = GET) {
        echo_sleep $2;
        echo -n "$BODY_1K";
      }
      echo_read_request_body;
      echo_sleep $2;
      echo "ok";
    }
  }
EOF
    done
    echo "  server { listen 127.0.0.1:$SLOW_STATUS_PORT; location / { stub_status; } }"
    echo "}"
  } > "$TMP/slow/nginx.conf"
fi

# ------------------------------------------------------------------------------------- NGINX proxy with mirror
# NGINX as the proxy under test. For each shadow, a location that proxies to the primary exactly as in
# proxy-bench.sh and mirrors every request (`mirror`, `mirror_request_body on`) to an internal location that
# proxies to the shadow. nginx (port $NGINX_PORT): the mirror location as it is usually written, to an upstream
# without `keepalive`, so NGINX opens a new TCP connection for every copy. nginx-ka ($NGINX_KA_PORT): the same to
# an upstream with `keepalive 256` and HTTP/1.1, for comparison. (It still uses a new connection per copy when the
# shadow's answers have a body: the mirror module marks its subrequests header_only, so NGINX finalizes a copy at
# the response header and cannot cache a connection with an unread body.) NGINX's mirror subrequest must finish before the
# connection's next request is read, so a slow shadow slows the client down; NGINX gives up on a shadow after
# MIRROR_TIMEOUT seconds, as Tandem does.
shadow_port() { case $1 in fast) echo "$FAST_PORT" ;; slow) echo "$SLOW_PORT" ;; hang) echo "$HANG_PORT" ;; esac; }
{
  nginx_common "$TMP/nginx"
  cat <<EOF
  upstream legacy {
    server 127.0.0.1:$BACKEND_PORT;
    keepalive 64;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }
EOF
  for s in fast slow hang; do
    cat <<EOF
  upstream shadow_$s { server 127.0.0.1:$(shadow_port $s); }
  upstream shadow_${s}_ka {
    server 127.0.0.1:$(shadow_port $s);
    keepalive 256;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }
EOF
  done
  for variant in plain ka; do
    if [ $variant = plain ]; then port=$NGINX_PORT; suffix=""; else port=$NGINX_KA_PORT; suffix=_ka; fi
    echo "  server {"
    echo "    listen 127.0.0.1:$port backlog=4096;"
    echo "    client_body_buffer_size 16k;"
    for s in fast slow hang; do
      cat <<EOF
    location /$s/ {
      mirror /_mirror_$s;
      mirror_request_body on;
      proxy_pass http://legacy;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$http_host;
    }
    location = /_mirror_$s {
      internal;
      proxy_pass http://shadow_$s$suffix\$request_uri;
      proxy_connect_timeout ${MIRROR_TIMEOUT}s;
      proxy_send_timeout ${MIRROR_TIMEOUT}s;
      proxy_read_timeout ${MIRROR_TIMEOUT}s;
      proxy_set_header X-Shadow-Request true;
      proxy_set_header X-Original-Host \$http_host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$http_host;
EOF
      if [ $variant = ka ]; then
        echo "      proxy_http_version 1.1;"
        echo "      proxy_set_header Connection \"\";"
      fi
      echo "    }"
    done
    echo "  }"
  done
  echo "}"
} > "$TMP/nginx/nginx.conf"

# ------------------------------------------------------------------------------------------------------ Tandem
# One route per shadow; the primary and the mirror settings are the same on each. GET copies go at once; POST
# copies go after the primary answered 2xx, each under an idempotency key reserved in the in-memory store
# (wrk-mirror.lua sends a unique Idempotency-Key per POST, so no copy is a duplicate).
{
  cat <<EOF
server: { host: 127.0.0.1, port: $TANDEM_PORT, instances: 1 }
admin:  { host: 127.0.0.1, port: $ADMIN_PORT, token: $ADMIN_TOKEN }
backends:
  legacy: { url: http://127.0.0.1:$BACKEND_PORT, maxConnections: 256 }
EOF
  for s in $SHADOWS; do
    echo "  candidate_$s: { url: http://127.0.0.1:$(shadow_port "$s"), maxConnections: $SHADOW_MAX_CONNECTIONS }"
  done
  echo "routes:"
  for s in $SHADOWS; do
    cat <<EOF
  - name: $s
    match: { pathPrefix: /$s/ }
    primary: legacy
    mirror: { backend: candidate_$s, percent: 100, maxInFlight: $MIRROR_MAX_IN_FLIGHT, timeout: ${MIRROR_TIMEOUT}s }
EOF
  done
  echo "deadLetters: { file: $TMP/dlq.jsonl }"
  [ -z "$TANDEM_IDEMPOTENCY" ] || echo "idempotency: $TANDEM_IDEMPOTENCY"
} > "$TMP/tandem.yaml"
cp "$TMP/tandem.yaml" "$TMP/nginx/nginx.conf" "$RESULTS/"
[ "$SLOW_IMPL" != echo ] || cp "$TMP/slow/nginx.conf" "$RESULTS/slow-shadow-nginx.conf"

# ------------------------------------------------------------------------------------------------------- start
log "results in $RESULTS (slow shadow: $SLOW_IMPL, ${SLOW_DELAY}s)"
start_nginx() { # name cpu -> STARTED_PID
  taskset -c "$2" "$NGINX" -p "$TMP/$1" -e "$TMP/$1/error.log" -c "$TMP/$1/nginx.conf" >"$RESULTS/$1-nginx.log" 2>&1 &
  STARTED_PID=$!; PIDS+=("$STARTED_PID")
}
start_nginx backend "$LOAD_CPU"; BACKEND_PID=$STARTED_PID
start_nginx fast "$LOAD_CPU"; FAST_PID=$STARTED_PID
start_nginx nginx "$PROXY_CPU"; NGINX_PID=$STARTED_PID
SLOW_PIDS=()   # the slow shadow, then the one that never answers
start_py_shadow() { # port delay
  taskset -c "$LOAD_CPU" python3 "$HERE/slow-shadow.py" --port "$1" --delay "$2" >>"$RESULTS/slow-shadow.log" 2>&1 &
  PIDS+=("$!"); SLOW_PIDS+=("$!")
}
if [ "$SLOW_IMPL" = echo ]; then
  start_nginx slow "$LOAD_CPU"; SLOW_PIDS+=("$STARTED_PID")
else
  start_py_shadow "$SLOW_PORT" "$SLOW_DELAY"
fi
start_py_shadow "$HANG_PORT" -1
# shellcheck disable=SC2086
taskset -c "$PROXY_CPU" "$JAVA" -XX:ActiveProcessorCount=1 $JAVA_OPTS -jar "$TMP/tandem.jar" proxy \
  --config "$TMP/tandem.yaml" >"$RESULTS/tandem.log" 2>&1 &
TANDEM_PID=$!; PIDS+=("$TANDEM_PID")

wait_http "http://127.0.0.1:$BACKEND_PORT/" "$BACKEND_PID"
wait_http "http://127.0.0.1:$FAST_PORT/" "$FAST_PID"
wait_http "http://127.0.0.1:$NGINX_PORT/fast/" "$NGINX_PID"
wait_http "http://127.0.0.1:$TANDEM_PORT/$(set -- $SHADOWS; echo "$1")/" "$TANDEM_PID"
if [ "$SLOW_IMPL" = echo ]; then
  wait_http "http://127.0.0.1:$SLOW_STATUS_PORT/" "${SLOW_PIDS[0]}"
else
  wait_http "http://127.0.0.1:$SLOW_PORT/__stats" "${SLOW_PIDS[0]}"
fi
wait_http "http://127.0.0.1:$HANG_PORT/__stats" "${SLOW_PIDS[1]}"
log "pids: backend $BACKEND_PID, fast shadow $FAST_PID, slow and silent shadows ${SLOW_PIDS[*]}, nginx $NGINX_PID, tandem $TANDEM_PID"

url_of() { # target shadow
  case $1 in
    nginx) echo "http://127.0.0.1:$NGINX_PORT/$2/" ;;
    nginx-ka) echo "http://127.0.0.1:$NGINX_KA_PORT/$2/" ;;
    tandem | tandem-rate) echo "http://127.0.0.1:$TANDEM_PORT/$2/" ;;
  esac
}
pid_of() { case $1 in nginx | nginx-ka) echo "$NGINX_PID" ;; tandem | tandem-rate) echo "$TANDEM_PID" ;; esac; }
is_tandem() { case $1 in tandem | tandem-rate) return 0 ;; *) return 1 ;; esac; }
# "requests connections" the shadow has received so far (its own counters; each reading counts itself once).
shadow_counts() { # shadow
  local status_port
  if [ "$1" = fast ] || { [ "$1" = slow ] && [ "$SLOW_IMPL" = echo ]; }; then
    [ "$1" = fast ] && status_port=$SHADOW_STATUS_PORT || status_port=$SLOW_STATUS_PORT
    # stub_status: "server accepts handled requests" then " A H R"
    curl -fsS --max-time 5 "http://127.0.0.1:$status_port/" | awk 'NR == 3 { print $3, $1 }'
  else
    curl -fsS --max-time 5 "http://127.0.0.1:$(shadow_port "$1")/__stats" \
      | tr ' ' '\n' | awk -F= '$1 == "requests" { r = $2 } $1 == "connections" { c = $2 } END { print r, c }'
  fi
}
admin() { curl -fsS --max-time 5 -H "Authorization: Bearer $ADMIN_TOKEN" "http://127.0.0.1:$ADMIN_PORT$1"; }
LEDGER_FIELDS="eligible sent delivered duplicate dropped_queue_full rate_limited failed timeout dead_lettered skipped in_flight"
# The route's mirror ledger, as numbers in LEDGER_FIELDS order, then "balanced" (true/false).
ledger() { # route
  admin /admin/mirror/stats | jq -r --arg r "$1" --arg f "$LEDGER_FIELDS" \
    '.routes[$r] as $l | (($f | split(" ") | map($l[.] // 0)) + [$l.balanced]) | map(tostring) | join(" ")'
}
# Waits until the route has no copy in flight (up to DRAIN_WAIT s); prints the seconds waited.
drain() { # route
  local t0=$SECONDS inflight
  while inflight=$(admin /admin/mirror/stats | jq -r --arg r "$1" '.routes[$r].in_flight'); [ "$inflight" != 0 ]; do
    [ $((SECONDS - t0)) -lt "$DRAIN_WAIT" ] || { log "WARNING: route $1 still has $inflight copies in flight"; break; }
    sleep 0.2
  done
  echo $((SECONDS - t0))
}

# ----------------------------------------------------------------------------------------------- sanity checks
head -c "$BODY_BYTES" /dev/zero | tr '\0' 'p' > "$TMP/post.body"
for shadow in $SHADOWS; do
  for target in $TARGETS; do
    [ "$target" != tandem-rate ] || continue   # the same URL as tandem
    url=$(url_of "$target" "$shadow")
    before=$(shadow_counts "$shadow")
    got=$(curl -fsS --max-time 10 "$url" | wc -c)
    [ "$got" -eq 1024 ] || die "GET $url returned $got bytes, expected 1024"
    # Two POSTs on one connection (curl --next keeps it): the second can only succeed if the first body was read
    # off the socket. Each has its own Idempotency-Key, so Tandem sends both copies.
    post=(-sS --max-time 10 -o /dev/null -w '%{http_code}/%{num_connects} ' --data-binary @"$TMP/post.body"
      -H 'Content-Type: application/octet-stream')
    out=$(curl "${post[@]}" -H "Idempotency-Key: sanity-$target-$shadow-1" "$url" \
      --next "${post[@]}" -H "Idempotency-Key: sanity-$target-$shadow-2" "$url")
    [ "$out" = "200/1 200/0 " ] || die "POST $url: expected '200/1 200/0 ' (status/new connections), got '$out'"
    # The 3 copies must reach the shadow (each shadow counts a request when it has read it; every reading of the
    # counters is a request too, hence - polls).
    polls=0
    while :; do
      after=$(shadow_counts "$shadow"); polls=$((polls + 1))
      got=$(( ${after% *} - ${before% *} - polls ))
      [ "$got" -lt 3 ] && [ "$polls" -lt 50 ] || break
      sleep 0.1
    done
    [ "$got" -eq 3 ] || die "$target: the $shadow shadow received $got copies of 3 requests"
  done
done
log "sanity checks passed (GET 1 KB; 2 POSTs with ${BODY_BYTES}-byte bodies on one connection; copies reach each shadow)"

# ------------------------------------------------------------------------------------------------------ runs
run_wrk() { # target shadow method seconds outfile
  local rate=0
  [ "$1" != tandem-rate ] || rate=$RATE
  BENCH_METHOD=$3 BENCH_BODY_BYTES=$BODY_BYTES BENCH_RUN="$(date +%s%N)-$1-$2" BENCH_RATE=$rate \
    BENCH_THREADS=$THREADS taskset -c "$LOAD_CPU" \
    "$WRK" -t"$THREADS" -c"$CONNS" -d"$4"s --timeout "$WRK_TIMEOUT" --latency -s "$HERE/wrk-mirror.lua" \
    "$(url_of "$1" "$2")" >"$5" 2>&1
}
ours_ticks() {
  local total=0 p
  for p in "$BACKEND_PID" "$FAST_PID" "$NGINX_PID" "$TANDEM_PID" "${SLOW_PIDS[@]}"; do
    total=$((total + $(cpu_ticks "$p")))
  done
  echo "$total"
}
# Tandem's GC counters (jstat, run on the load core outside the measured window): young collections, their total
# pause in ms, full collections and their total pause in ms, old generation in use (MB).
gc_stat() {
  taskset -c "$LOAD_CPU" "$JSTAT" -gc "$TANDEM_PID" 2>/dev/null | awk 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i }
    NR == 2 { printf "%d %.1f %d %.1f %.1f\n", $h["YGC"], 1000 * $h["YGCT"], $h["FGC"], 1000 * $h["FGCT"], $h["OU"] / 1024 }'
}
load_cpu_busy() { awk -v c="cpu$LOAD_CPU" '$1 == c { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

HEADER="rep method shadow target rps p50_us p99_us max_us errors proxy_cpu_pct proxy_cpu_us_per_req load_cpu_pct"
HEADER="$HEADER foreign_cpu_pct jit_cpu_pct attempt duration_s shadow_requests shadow_connections $LEDGER_FIELDS balanced drain_s"
HEADER="$HEADER young_gcs young_gc_ms full_gcs full_gc_ms old_used_mb"
tr ' ' '\t' <<<"$HEADER" > "$RESULTS/runs.tsv"

# One measured wrk run: wrk's figures; the proxy's CPU (its core's utilisation, CPU time per request); the load
# core's utilisation; foreign CPU (what the machine spent beyond wrk and the processes started here, in % of one
# core: a disturbed run is measured again); the copies and new connections the shadow received; for Tandem, the
# route's mirror ledger delta, read after the run's copies have settled (in_flight back to 0).
measure() { # rep method shadow target
  local rep=$1 method=$2 shadow=$3 target=$4 out pid attempt t0 t1 c0 c1 o0 o1 b0 b1 l0 l1 s0 s1 g0 g1 j0 j1
  local line wrk_cpu row foreign ledger_delta drain_s gc0 gc1 gc
  pid=$(pid_of "$target")
  for attempt in $(seq 1 $((RETRIES + 1))); do
    out="$RESULTS/raw/rep$rep-$method-$shadow-$target-$attempt.txt"
    wait_quiet
    gc="- - - - -"
    ! is_tandem "$target" || { g0=$(ledger "$shadow"); gc0=$(gc_stat); }
    s0=$(shadow_counts "$shadow")
    c0=$(cpu_ticks "$pid"); o0=$(ours_ticks); b0=$(busy_ticks); l0=$(load_cpu_busy); j0=$(jit_ticks); t0=$(date +%s%N)
    wrk_cpu=$( { TIMEFORMAT='%U %S'; time run_wrk "$target" "$shadow" "$method" "$DURATION" "$out"; } 2>&1 )
    c1=$(cpu_ticks "$pid"); o1=$(ours_ticks); b1=$(busy_ticks); l1=$(load_cpu_busy); j1=$(jit_ticks); t1=$(date +%s%N)
    line=$(grep '^BENCH ' "$out") || die "no result in $out"
    # shellcheck disable=SC2086
    local $(echo "${line#BENCH }")   # requests= rps= p50_us= ... as locals
    local errors=$((err_connect + err_read + err_write + err_status + err_timeout))
    ledger_delta=$(for _ in $LEDGER_FIELDS; do printf -- '- '; done; echo -)
    drain_s=-
    if is_tandem "$target"; then
      gc1=$(gc_stat)
      gc=$(awk -v a="$gc0" -v b="$gc1" 'BEGIN { split(a, x, " "); split(b, y, " ")
        printf "%d %.1f %d %.1f %.1f", y[1] - x[1], y[2] - x[2], y[3] - x[3], y[4] - x[4], y[5] }')
      drain_s=$(drain "$shadow")
      g1=$(ledger "$shadow")
      # in_flight is a level, not a counter: report it as it is after the drain; balanced as read.
      ledger_delta=$(awk -v a="$g0" -v b="$g1" 'BEGIN { n = split(a, x, " "); split(b, y, " ")
        for (i = 1; i < n - 1; i++) printf "%d ", y[i] - x[i]; printf "%d %s", y[n - 1], y[n] }')
    elif [ "$shadow" = slow ]; then
      sleep "$(awk -v d="$SLOW_DELAY" 'BEGIN { print d + 0.5 }')"   # NGINX's last copies finish before counting
    elif [ "$shadow" = hang ]; then
      sleep "$MIRROR_TIMEOUT"
    fi
    s1=$(shadow_counts "$shadow")
    row=$(awk -v rep="$rep" -v m="$method" -v s="$shadow" -v t="$target" -v rps="$rps" -v p50="$p50_us" \
      -v p99="$p99_us" -v max="$max_us" -v err="$errors" -v dc="$((c1 - c0))" -v hz="$CLK_TCK" -v dt="$((t1 - t0))" \
      -v n="$requests" -v db="$((b1 - b0))" -v ours="$((o1 - o0))" -v wrk="$wrk_cpu" -v att="$attempt" \
      -v dl="$((l1 - l0))" -v dj="$((j1 - j0))" -v wd="$duration_us" -v s0="$s0" -v s1="$s1" -v led="$ledger_delta" -v dr="$drain_s" -v gc="$gc" 'BEGIN {
        split(wrk, w, " "); secs = dt / 1e9; cpu = dc / hz
        foreign = 100 * ((db - ours) / hz - w[1] - w[2]) / secs; if (foreign < 0) foreign = 0
        split(s0, a, " "); split(s1, b, " ")
        printf "%s\t%s\t%s\t%s\t%.0f\t%d\t%d\t%d\t%d\t%.0f\t%.1f\t%.0f\t%.0f\t%.1f\t%d\t%.2f\t%d\t%d", rep, m, s, t, rps,
          p50, p99, max, err, 100 * cpu / secs, (n > 0 ? 1e6 * cpu / n : 0), 100 * dl / hz / secs, foreign,
          (t ~ /^tandem/ ? 100 * dj / hz / secs : 0), att, wd / 1e6, b[1] - a[1] - 1, b[2] - a[2] - 1
        k = split(led, l, " "); for (i = 1; i <= k; i++) printf "\t%s", l[i]
        printf "\t%s", dr; k = split(gc, g, " "); for (i = 1; i <= k; i++) printf "\t%s", g[i]; printf "\n" }')
    foreign=$(cut -f13 <<<"$row")   # column foreign_cpu_pct
    log "rep $rep $method $shadow $target: $(awk -F'\t' -v fields="$HEADER" '{
      printf "%s req/s, p50 %.2f ms, p99 %.2f ms, proxy CPU %s%%, %s us/req, load core %s%%, foreign %s%%; shadow got %s copies over %s new conns",
        $5, $6 / 1000, $7 / 1000, $10, $11, $12, $13, $17, $18
      if ($4 ~ /^tandem/) printf "; JIT %s%%; young GCs %s (%.1f ms each), full GCs %s (%s ms), old gen %s MB; ledger: eligible %s sent %s delivered %s dropped_queue_full %s failed %s timeout %s dead_lettered %s duplicate %s in_flight %s balanced %s (drained in %ss)",
        $14, $32, ($32 > 0 ? $33 / $32 : 0), $34, $35, $36, $19, $20, $21, $23, $25, $26, $27, $22, $29, $30, $31 }' <<<"$row")"
    [ "$errors" -eq 0 ] || log "WARNING: $errors errors in $out"
    keep_run "$RESULTS/runs.tsv" "$row" "$foreign" "$attempt" && return
  done
}

# The heap after a full GC, and the in-memory idempotency store's size, for a before/after comparison.
heap_report() { # label
  {
    echo "== $1: $(date +%T)"
    "$JCMD" "$TANDEM_PID" GC.run >/dev/null 2>&1 || echo "jcmd GC.run failed"
    "$JCMD" "$TANDEM_PID" GC.heap_info 2>&1 | sed 1d
    echo "RSS: $(awk '/VmRSS/ { print $2, $3 }' "/proc/$TANDEM_PID/status")"
    curl -fsS --max-time 5 "http://127.0.0.1:$ADMIN_PORT/metrics" 2>/dev/null \
      | grep -E '^tandem_(idempotency|mirror_in_flight)' || true
  } >> "$RESULTS/heap.txt"
  log "heap after full GC ($1): $(awk -v l="== $1:" 'index($0, l) == 1 { on = 1; next } /^== / { on = 0 }
    on && /(tenured|old|region|garbage-first) / { sub(/^ +/, ""); printf "%s; ", $0 }
    on && /^RSS/ { printf "%s; ", $0 } on && /^tandem_idempotency_keys/ { printf "idempotency keys %s", $2 }' "$RESULTS/heap.txt")"
}

log "settling NGINX (2 s per case); warming Tandem up in rounds (${WARMUP} s per method, fast shadow; 2 s per" \
  "other shadow) until its JIT compilers use < ${JIT_QUIET}% of a core in two rounds in a row (at most ${WARMUP_MAX} s)"
for method in $METHODS; do
  for shadow in $SHADOWS; do
    for target in $TARGETS; do
      is_tandem "$target" || run_wrk "$target" "$shadow" "$method" 2 "$RESULTS/raw/warmup-$method-$shadow-$target.txt"
    done
  done
done
if grep -qw tandem <<<"$TARGETS"; then
  warm_start=$SECONDS; round=0; quiet=0
  while :; do
    round=$((round + 1)); j0=$(jit_ticks); r0=$(date +%s%N)
    for method in $METHODS; do
      for shadow in $SHADOWS; do
        if [ "$shadow" = fast ]; then secs=$WARMUP; else secs=2; fi
        run_wrk tandem "$shadow" "$method" "$secs" "$RESULTS/raw/warmup-$round-$method-$shadow-tandem.txt"
      done
    done
    jit_pct=$(awk -v d="$(($(jit_ticks) - j0))" -v hz="$CLK_TCK" -v dt="$(($(date +%s%N) - r0))" \
      'BEGIN { printf "%.1f", 100 * d / hz / (dt / 1e9) }')
    log "warm-up round $round: JIT compilers used ${jit_pct}% of a core; $(grep -h '^Requests/sec' \
      "$RESULTS"/raw/warmup-$round-*-tandem.txt | awk '{ printf "%.0f ", $2 }')req/s"
    if awk -v j="$jit_pct" -v q="$JIT_QUIET" 'BEGIN { exit !(j < q) }'; then quiet=$((quiet + 1)); else quiet=0; fi
    [ "$quiet" -lt 2 ] || break
    if [ $((SECONDS - warm_start)) -ge "$WARMUP_MAX" ]; then
      log "WARNING: the JIT is still compiling after ${WARMUP_MAX}s of warm-up: measuring anyway"; break
    fi
  done
fi
for shadow in $SHADOWS; do drain "$shadow" >/dev/null; done
heap_report "after warm-up"

if [ -n "$JFR" ]; then
  "$JCMD" "$TANDEM_PID" JFR.start name=bench settings=profile filename="$RESULTS/tandem.jfr" >>"$RESULTS/bench.log"
fi

# Every repetition runs every method; within a method every (shadow, target) case, in an order that rotates from
# one repetition to the next, so that no case always runs first or right after another.
cases=()
for shadow in $SHADOWS; do for target in $TARGETS; do cases+=("$shadow $target"); done; done
for rep in $(seq 1 "$REPS"); do
  for method in $METHODS; do
    n=${#cases[@]}
    for ((i = 0; i < n; i++)); do
      # shellcheck disable=SC2086
      measure "$rep" "$method" ${cases[$(((i + rep - 1) % n))]}
    done
  done
done

if [ -n "$JFR" ]; then
  "$JCMD" "$TANDEM_PID" JFR.stop name=bench >>"$RESULTS/bench.log"
fi
kill -0 "$TANDEM_PID" 2>/dev/null || die "Tandem died during the run (see $RESULTS/tandem.log)"
for shadow in $SHADOWS; do drain "$shadow" >/dev/null; done
heap_report "after the runs"

if [ -n "$PERF" ] && grep -qx fast <<<"$(tr ' ' '\n' <<<"$SHADOWS")"; then
  # 1. System calls and context switches per request of the proxy's own processes (NGINX: master + worker),
  # with the fast shadow. 2. A CPU profile of the proxy (kernel, libjvm, JIT-compiled Java through the map file
  # that jcmd Compiler.perfmap writes), by object and by symbol.
  events=raw_syscalls:sys_enter,context-switches
  for sc in read readv recvfrom write writev sendto epoll_wait epoll_pwait epoll_ctl futex socket connect accept4 \
    close shutdown setsockopt getsockopt; do
    events="$events,syscalls:sys_enter_$sc"
  done
  printf 'method\ttarget\trequests\tevent\tper_request\n' > "$RESULTS/perf-syscalls.tsv"
  for method in $METHODS; do
    for target in $TARGETS; do
      [ "$target" != tandem-rate ] || continue
      pids=$(echo "$(pid_of "$target")" $(pgrep -P "$(pid_of "$target")") | tr ' ' ',')
      taskset -c "$LOAD_CPU" perf stat -x, -e "$events" -p "$pids" -o "$RESULTS/perf-stat-$method-$target.csv" \
        -- sleep "$DURATION" 2>>"$RESULTS/bench.log" &
      perf_pid=$!
      run_wrk "$target" fast "$method" "$DURATION" "$RESULTS/raw/perf-stat-$method-$target.txt"
      wait "$perf_pid" || true
      n=$(grep -o 'requests=[0-9]*' "$RESULTS/raw/perf-stat-$method-$target.txt" | cut -d= -f2)
      awk -F, -v m="$method" -v t="$target" -v n="$n" '$1 ~ /^[0-9]+$/ && n > 0 {
        printf "%s\t%s\t%s\t%s\t%.2f\n", m, t, n, $3, $1 / n }' "$RESULTS/perf-stat-$method-$target.csv" \
        >> "$RESULTS/perf-syscalls.tsv"
      ! is_tandem "$target" || drain fast >/dev/null
    done
  done
  log "system calls per request, fast shadow (perf-syscalls.tsv):"
  awk -F'\t' 'NR > 1 && $5 > 0 { sub(/^(syscalls:sys_enter_|raw_syscalls:sys_enter)/, "", $4);
    if ($4 == "") $4 = "ALL syscalls"; printf "  %-5s %-8s %-17s %7.2f\n", $1, $2, $4, $5 }' \
    "$RESULTS/perf-syscalls.tsv" | tee -a "$RESULTS/bench.log" >&2
  for method in $METHODS; do
    for target in $TARGETS; do
      [ "$target" != tandem-rate ] || continue
      pids=$(echo "$(pid_of "$target")" $(pgrep -P "$(pid_of "$target")") | tr ' ' ',')
      data="$RESULTS/perf-$method-$target.data"
      taskset -c "$LOAD_CPU" perf record -q -N -F 997 -g -p "$pids" -o "$data" -- sleep "$DURATION" \
        2>>"$RESULTS/bench.log" &
      perf_pid=$!
      run_wrk "$target" fast "$method" "$DURATION" "$RESULTS/raw/perf-$method-$target.txt"
      wait "$perf_pid" || true
      if is_tandem "$target"; then
        "$JCMD" "$TANDEM_PID" Compiler.perfmap >>"$RESULTS/bench.log" 2>&1 || log "jcmd Compiler.perfmap failed"
        drain fast >/dev/null
      fi
      perf report -i "$data" --no-children --sort dso --stdio -g none 2>/dev/null \
        | grep -v '^$' > "$RESULTS/perf-$method-$target-by-dso.txt" || true
      perf report -i "$data" --no-children --sort dso,sym --stdio -g none 2>/dev/null \
        | grep -v '^$' | head -n 150 > "$RESULTS/perf-$method-$target-top.txt" || true
      log "perf $method $target by object: $(grep -v '^#' "$RESULTS/perf-$method-$target-by-dso.txt" | head -n 4 \
        | awk '{ printf "%s %s  ", $1, $2 }')"
    done
  done
  cp "/tmp/perf-$TANDEM_PID.map" "$RESULTS/" 2>/dev/null || true
fi
admin /admin/mirror/stats | jq . > "$RESULTS/mirror-stats-final.json"
dead_letters=0
[ ! -f "$TMP/dlq.jsonl" ] || dead_letters=$(wc -l < "$TMP/dlq.jsonl")
log "dead-letter file: $dead_letters lines"
log "tandem.log: $(grep -ciE 'warn|severe|error|exception' "$RESULTS/tandem.log" || true) lines with WARN/SEVERE/ERROR/Exception"

# ---------------------------------------------------------------------------------------------------- summary
"$HERE/mirror-summarize.sh" "$RESULTS/runs.tsv" | tee "$RESULTS/summary.txt"
{
  echo "command: JAVA_OPTS='$JAVA_OPTS' REPS=$REPS DURATION=$DURATION WARMUP=$WARMUP CONNS=$CONNS THREADS=$THREADS" \
    "BODY_BYTES=$BODY_BYTES SHADOWS='$SHADOWS' TARGETS='$TARGETS' SLOW_DELAY=$SLOW_DELAY SLOW_IMPL=$SLOW_IMPL" \
    "RATE=$RATE TANDEM_IDEMPOTENCY='$TANDEM_IDEMPOTENCY' MIRROR_TIMEOUT=$MIRROR_TIMEOUT MIRROR_MAX_IN_FLIGHT=$MIRROR_MAX_IN_FLIGHT bench/mirror-bench.sh"
  machine_info "$NGINX" "$WRK" "$JAVA" "$JAR_INFO"
  echo "dead letters written: $dead_letters"
} > "$RESULTS/machine.txt"
ln -sfn "$RESULTS" "$HERE/results/latest-mirror"
log "done in $(( (SECONDS - START_SECONDS) / 60 )) min $(( (SECONDS - START_SECONDS) % 60 )) s: $RESULTS/summary.txt"
