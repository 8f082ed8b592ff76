#!/usr/bin/env bash
# Plain-proxying benchmark: Tandem vs NGINX (one worker) vs the backend directly, side by side in one run.
# See bench/README.md for what is measured and how to read the output.
#
#   bench/proxy-bench.sh                       # full run, ~6 minutes
#   REPS=3 DURATION=5 bench/proxy-bench.sh     # quicker, noisier
#   JAVA_OPTS="-XX:+UseParallelGC" TARGETS="nginx tandem" bench/proxy-bench.sh
#   JFR=1 bench/proxy-bench.sh                 # also record a JFR profile of Tandem over the measured runs
#   PERF=1 bench/proxy-bench.sh                # then syscalls per request and perf profiles of each proxy
#   TARGETS="nginx haproxy caddy tandem" bench/proxy-bench.sh   # peers only (the default adds direct)
#   TARGETS="nginx tandem netty-floor" bench/proxy-bench.sh   # experiment: a bare Netty proxy on the same JVM,
#                                              # the floor of a Netty-level data plane (experiments/NettyFloorProxy.java)
#   TANDEM_NATIVE=1 bench/proxy-bench.sh       # experiment: Tandem on Netty's native epoll transport
#   BASE_JAR=proxy/target/tandem.jar BASE_DATA_PLANE=vertx TARGETS="nginx tandem tandem-base" bench/proxy-bench.sh
#                                              # the same build with every request on the Vert.x path, paired
#   BASE_JAR=/tmp/old/tandem.jar TARGETS="tandem tandem-base" bench/proxy-bench.sh
#                                              # a second Tandem (another build) as target tandem-base, paired with
#                                              # this one: what a change costs (bench/edge-bench.sh does this)
#
# Layout: core $PROXY_CPU (0) runs the proxy under test (Tandem's JVM or NGINX's single worker); core $LOAD_CPU (1)
# runs wrk and the backend NGINX. Everything listens on 127.0.0.1 only; temp files live in one mktemp dir; every
# process started here is stopped on exit. Output goes to bench/results/<timestamp>/ (gitignored).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

JAR=${TANDEM_JAR:-$ROOT/proxy/target/tandem.jar}
JAVA=${JAVA:-java}
JAVA_OPTS=${JAVA_OPTS:-}                 # extra JVM flags for Tandem (added after the pinning flags)
NGINX=${NGINX:-/usr/sbin/nginx}
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
CADDY=${CADDY:-/usr/bin/caddy}
WRK=${WRK:-wrk}
REPS=${REPS:-5}                          # repetitions; each one runs every target × method once
DURATION=${DURATION:-10}                 # seconds per measured wrk run
WARMUP=${WARMUP:-15}                     # seconds of wrk against Tandem per method before measuring
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
BODY_BYTES=${BODY_BYTES:-1024}           # POST body size
TARGETS=${TARGETS:-"direct nginx haproxy caddy tandem"}
METHODS=${METHODS:-"GET POST"}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
JFR=${JFR:-}                             # non-empty: JFR (settings=profile) over the measured runs -> tandem.jfr
PERF=${PERF:-}                           # non-empty: after the runs, syscall counts and perf profiles per target
TANDEM_NATIVE=${TANDEM_NATIVE:-}         # non-empty: experiment, Tandem on Netty's epoll transport (see experiments/)
NETTY_VERSION=${NETTY_VERSION:-4.2.12.Final}  # of the epoll jars for TANDEM_NATIVE, from ~/.m2 (mvn dependency:get)
BASE_JAR=${BASE_JAR:-}                   # non-empty: also run this jar, as target tandem-base, on the proxy core
BASE_DATA_PLANE=${BASE_DATA_PLANE:-}     # netty or vertx: tandem-base's server.dataPlane (BASE_JAR may be the same jar)
TAG=${TAG:-}                             # appended to the results directory name
QUIET_WAIT=${QUIET_WAIT:-120}            # max seconds to wait for an idle machine before each run
FOREIGN_MAX=${FOREIGN_MAX:-10}           # a run during which other processes used more than this % of a core ...
RETRIES=${RETRIES:-2}                    # ... is measured again, at most this many times
BACKEND_PORT=19001
NGINX_PORT=18090
TANDEM_PORT=18080
ADMIN_PORT=18081
BASE_PORT=18082
BASE_ADMIN_PORT=18083
HAPROXY_PORT=18091
CADDY_PORT=18092
FLOOR_PORT=18093

RESULTS=${RESULTS:-$HERE/results/$(date +%Y%m%d-%H%M%S)${TAG:+-$TAG}}
mkdir -p "$RESULTS/raw"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tandem-bench.XXXXXX")
PIDS=()

# shellcheck source=lib.sh
. "$HERE/lib.sh"   # log, die, cleanup trap, nginx configs, CPU accounting, wait_quiet
bench_init_traps

# ---------------------------------------------------------------------------------------------------- preflight
require_tools "$NGINX" "$WRK" "$JAVA" taskset curl awk pgrep
[ -f "$JAR" ] || die "$JAR missing: build it with (cd $ROOT && mvn -B -q -DskipTests package)"
[ "$(nproc --all)" -ge 2 ] || die "needs at least 2 cores"
require_free_ports $BACKEND_PORT $NGINX_PORT $TANDEM_PORT $ADMIN_PORT
# A private copy, so that a rebuild during the run cannot change the code under test.
cp "$JAR" "$TMP/tandem.jar"
JAR_INFO=$(jar_info "$JAR" "$TMP/tandem.jar")
if [ -n "$BASE_JAR" ]; then
  [ -f "$BASE_JAR" ] || die "BASE_JAR $BASE_JAR missing"
  require_free_ports $BASE_PORT $BASE_ADMIN_PORT
  cp "$BASE_JAR" "$TMP/tandem-base.jar"
  JAR_INFO="$JAR_INFO; tandem-base: $(jar_info "$BASE_JAR" "$TMP/tandem-base.jar")"
fi
CLK_TCK=$(getconf CLK_TCK)
JCMD=$(dirname "$(readlink -f "$(command -v "$JAVA")")")/jcmd
if [ -n "$PERF" ]; then command -v perf >/dev/null || die "perf not found"; fi

# ------------------------------------------------------------------------------------------------------ backend
mkdir -p "$TMP/backend" "$TMP/nginx"
nginx_backend_conf "$TMP/backend" "$BACKEND_PORT" > "$TMP/backend/nginx.conf"

# ------------------------------------------------------------------------------------------ NGINX reverse proxy
{
  nginx_common "$TMP/nginx"
  cat <<EOF
  upstream legacy {
    server 127.0.0.1:$BACKEND_PORT;
    keepalive 64;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=4096;
    client_body_buffer_size 16k;
    location / {
      proxy_pass http://legacy;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # The same X-Forwarded-* headers that Tandem adds.
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$http_host;
    }
  }
}
EOF
} > "$TMP/nginx/nginx.conf"

# ------------------------------------------------------------------------------- HAProxy and Caddy, plain proxies
# What a team would put there instead, configured as an operator would for this job: one thread on the proxy core,
# keep-alive to the backend (HAProxy: http-reuse always; Caddy keeps idle connections by default), and the same
# X-Forwarded-* headers that Tandem and NGINX add (both add X-Forwarded-For and -Proto by themselves). Caddy 2.6
# (Debian) saves its configuration under XDG_CONFIG_HOME, pointed into $TMP.
wants() { grep -qw "$1" <<<"$TARGETS"; }
if wants haproxy; then
  cat > "$TMP/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s
  option http-keep-alive
  option forwardfor
  http-reuse always
frontend bench
  bind 127.0.0.1:$HAPROXY_PORT
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  default_backend legacy
backend legacy
  server legacy 127.0.0.1:$BACKEND_PORT maxconn 256
EOF
fi
if wants caddy; then
  cat > "$TMP/Caddyfile" <<EOF
{
  admin off
  auto_https off
  log {
    output discard
  }
}
http://127.0.0.1:$CADDY_PORT {
  reverse_proxy 127.0.0.1:$BACKEND_PORT {
    header_up X-Forwarded-Host {host}
    transport http {
      keepalive 300s
      keepalive_idle_conns 256
      keepalive_idle_conns_per_host 256
    }
  }
}
EOF
fi

# ------------------------------------------------------------------------------------------------------ Tandem
cat > "$TMP/tandem.yaml" <<EOF
server: { host: 127.0.0.1, port: $TANDEM_PORT, instances: 1 }
admin:  { host: 127.0.0.1, port: $ADMIN_PORT }
backends:
  legacy: { url: http://127.0.0.1:$BACKEND_PORT, maxConnections: 256 }
routes:
  - name: default
    match: { pathPrefix: / }
    primary: legacy
EOF

# ------------------------------------------------------------------------------------------------------- start
log "results in $RESULTS"
taskset -c "$LOAD_CPU" "$NGINX" -p "$TMP/backend" -e "$TMP/backend/error.log" -c "$TMP/backend/nginx.conf" \
  >"$RESULTS/backend-nginx.log" 2>&1 &
BACKEND_PID=$!; PIDS+=("$BACKEND_PID")
taskset -c "$PROXY_CPU" "$NGINX" -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" \
  >"$RESULTS/proxy-nginx.log" 2>&1 &
NGINX_PID=$!; PIDS+=("$NGINX_PID")
HAPROXY_PID=; CADDY_PID=; FLOOR_PID=
if wants netty-floor; then
  # shellcheck disable=SC2086
  taskset -c "$PROXY_CPU" "$JAVA" -XX:ActiveProcessorCount=1 $JAVA_OPTS -cp "$TMP/tandem.jar" \
    "$HERE/experiments/NettyFloorProxy.java" "$FLOOR_PORT" "$BACKEND_PORT" >"$RESULTS/netty-floor.log" 2>&1 &
  FLOOR_PID=$!; PIDS+=("$FLOOR_PID")
fi
if wants haproxy; then
  taskset -c "$PROXY_CPU" "$HAPROXY" -db -f "$TMP/haproxy.cfg" >"$RESULTS/proxy-haproxy.log" 2>&1 &
  HAPROXY_PID=$!; PIDS+=("$HAPROXY_PID")
fi
if wants caddy; then
  # GOMAXPROCS=1: one OS thread running Go code, as NGINX has one worker; its state stays in $TMP.
  XDG_CONFIG_HOME="$TMP/caddy" XDG_DATA_HOME="$TMP/caddy" GOMAXPROCS=1 taskset -c "$PROXY_CPU" \
    "$CADDY" run --config "$TMP/Caddyfile" --adapter caddyfile >"$RESULTS/proxy-caddy.log" 2>&1 &
  CADDY_PID=$!; PIDS+=("$CADDY_PID")
fi
if [ -n "$TANDEM_NATIVE" ]; then
  M2=${M2_REPO:-$HOME/.m2/repository}/io/netty
  EPOLL_CP=$M2/netty-transport-classes-epoll/$NETTY_VERSION/netty-transport-classes-epoll-$NETTY_VERSION.jar
  EPOLL_CP=$EPOLL_CP:$M2/netty-transport-native-epoll/$NETTY_VERSION/netty-transport-native-epoll-$NETTY_VERSION-linux-x86_64.jar
  for j in ${EPOLL_CP//:/ }; do
    [ -f "$j" ] || die "$j missing: mvn dependency:get -Dartifact=io.netty:<artifact>:$NETTY_VERSION[:jar:linux-x86_64]"
  done
  TANDEM_START=(-cp "$TMP/tandem.jar:$EPOLL_CP" "$HERE/experiments/NativeTransportTandem.java" "$TMP/tandem.yaml")
else
  TANDEM_START=(-jar "$TMP/tandem.jar" proxy --config "$TMP/tandem.yaml")
fi
# shellcheck disable=SC2086
taskset -c "$PROXY_CPU" "$JAVA" -XX:ActiveProcessorCount=1 $JAVA_OPTS "${TANDEM_START[@]}" \
  >"$RESULTS/tandem.log" 2>&1 &
TANDEM_PID=$!; PIDS+=("$TANDEM_PID")
BASE_PID=
if [ -n "$BASE_JAR" ]; then
  sed -e "s/port: $TANDEM_PORT/port: $BASE_PORT/" -e "s/port: $ADMIN_PORT/port: $BASE_ADMIN_PORT/" \
    "$TMP/tandem.yaml" > "$TMP/tandem-base.yaml"
  if [ -n "$BASE_DATA_PLANE" ]; then
    sed -i "s/instances: 1 }/instances: 1, dataPlane: $BASE_DATA_PLANE }/" "$TMP/tandem-base.yaml"
  fi
  # shellcheck disable=SC2086
  taskset -c "$PROXY_CPU" "$JAVA" -XX:ActiveProcessorCount=1 $JAVA_OPTS -jar "$TMP/tandem-base.jar" proxy \
    --config "$TMP/tandem-base.yaml" >"$RESULTS/tandem-base.log" 2>&1 &
  BASE_PID=$!; PIDS+=("$BASE_PID")
fi

wait_http "http://127.0.0.1:$BACKEND_PORT/" "$BACKEND_PID"
wait_http "http://127.0.0.1:$NGINX_PORT/" "$NGINX_PID"
[ -z "$HAPROXY_PID" ] || wait_http "http://127.0.0.1:$HAPROXY_PORT/" "$HAPROXY_PID"
[ -z "$CADDY_PID" ] || wait_http "http://127.0.0.1:$CADDY_PORT/" "$CADDY_PID"
[ -z "$FLOOR_PID" ] || wait_http "http://127.0.0.1:$FLOOR_PORT/" "$FLOOR_PID"
wait_http "http://127.0.0.1:$TANDEM_PORT/" "$TANDEM_PID"
[ -z "$BASE_PID" ] || wait_http "http://127.0.0.1:$BASE_PORT/" "$BASE_PID"
log "backend nginx pid $BACKEND_PID, proxy nginx pid $NGINX_PID, tandem pid $TANDEM_PID"

url_of() {
  case $1 in
    direct) echo "http://127.0.0.1:$BACKEND_PORT/" ;;
    nginx) echo "http://127.0.0.1:$NGINX_PORT/" ;;
    haproxy) [ -n "$HAPROXY_PID" ] || die "target haproxy is not running"; echo "http://127.0.0.1:$HAPROXY_PORT/" ;;
    caddy) [ -n "$CADDY_PID" ] || die "target caddy is not running"; echo "http://127.0.0.1:$CADDY_PORT/" ;;
    netty-floor) echo "http://127.0.0.1:$FLOOR_PORT/" ;;
    tandem) echo "http://127.0.0.1:$TANDEM_PORT/" ;;
    tandem-base) [ -n "$BASE_PID" ] || die "target tandem-base needs BASE_JAR"; echo "http://127.0.0.1:$BASE_PORT/" ;;
    *) die "unknown target $1" ;;
  esac
}
pid_of() {
  case $1 in
    direct) echo "$BACKEND_PID" ;; nginx) echo "$NGINX_PID" ;; tandem) echo "$TANDEM_PID" ;;
    haproxy) echo "$HAPROXY_PID" ;; caddy) echo "$CADDY_PID" ;; netty-floor) echo "$FLOOR_PID" ;;
    tandem-base) echo "$BASE_PID" ;;
  esac
}
# ----------------------------------------------------------------------------------------------- sanity checks
head -c "$BODY_BYTES" /dev/zero | tr '\0' 'p' > "$TMP/post.body"
for target in $TARGETS; do
  url=$(url_of "$target")
  got=$(curl -fsS "$url" | wc -c)
  [ "$got" -eq 1024 ] || die "GET $url returned $got bytes, expected 1024"
  # Two POSTs on one connection: the second can only succeed if the first body was read off the socket.
  out=$(curl -sS -o /dev/null -o /dev/null -w '%{http_code}/%{num_connects} ' --data-binary @"$TMP/post.body" \
    -H 'Content-Type: application/octet-stream' "$url" "$url")
  [ "$out" = "200/1 200/0 " ] || die "POST $url: expected '200/1 200/0 ' (status/new connections), got '$out'"
done
log "sanity checks passed (GET 1 KB body; 2 POSTs with ${BODY_BYTES}-byte bodies on one connection)"

# ------------------------------------------------------------------------------------------------------ runs
run_wrk() { # target method seconds outfile
  BENCH_METHOD=$2 BENCH_BODY_BYTES=$BODY_BYTES taskset -c "$LOAD_CPU" \
    "$WRK" -t"$THREADS" -c"$CONNS" -d"$3"s --latency -s "$HERE/wrk-bench.lua" "$(url_of "$1")" >"$4" 2>&1
}

printf 'rep\tmethod\ttarget\trps\tp50_us\tp99_us\tmax_us\terrors\tproxy_cpu_pct\tproxy_cpu_us_per_req\tforeign_cpu_pct\tattempt\n' \
  > "$RESULTS/runs.tsv"

ours_ticks() {
  local base=0
  [ -z "$BASE_PID" ] || base=$(cpu_ticks "$BASE_PID")
  local peers=0
  [ -z "$HAPROXY_PID" ] || peers=$((peers + $(cpu_ticks "$HAPROXY_PID")))
  [ -z "$CADDY_PID" ] || peers=$((peers + $(cpu_ticks "$CADDY_PID")))
  [ -z "$FLOOR_PID" ] || peers=$((peers + $(cpu_ticks "$FLOOR_PID")))
  echo $(($(cpu_ticks "$BACKEND_PID") + $(cpu_ticks "$NGINX_PID") + $(cpu_ticks "$TANDEM_PID") + base + peers))
}

# One measured wrk run. Besides wrk's figures it records the CPU the target used (its core's utilisation and CPU
# time per request, steadier than req/s on a noisy machine) and "foreign" CPU: what the machine spent beyond
# wrk and the processes started here, in % of one core. A run disturbed by foreign work is measured again.
measure() { # rep target method
  local rep=$1 target=$2 method=$3 out pid t0 t1 c0 c1 o0 o1 b0 b1 line wrk_cpu attempt row foreign
  pid=$(pid_of "$target")
  for attempt in $(seq 1 $((RETRIES + 1))); do
    out="$RESULTS/raw/rep$rep-$method-$target-$attempt.txt"
    wait_quiet
    c0=$(cpu_ticks "$pid"); o0=$(ours_ticks); b0=$(busy_ticks); t0=$(date +%s%N)
    wrk_cpu=$( { TIMEFORMAT='%U %S'; time run_wrk "$target" "$method" "$DURATION" "$out"; } 2>&1 )
    c1=$(cpu_ticks "$pid"); o1=$(ours_ticks); b1=$(busy_ticks); t1=$(date +%s%N)
    line=$(grep '^BENCH ' "$out") || die "no result in $out"
    # shellcheck disable=SC2086
    local $(echo "${line#BENCH }")   # requests= rps= p50_us= ... as locals
    local errors=$((err_connect + err_read + err_write + err_status + err_timeout))
    row=$(awk -v rep="$rep" -v m="$method" -v t="$target" -v rps="$rps" -v p50="$p50_us" -v p99="$p99_us" \
      -v max="$max_us" -v err="$errors" -v dc="$((c1 - c0))" -v hz="$CLK_TCK" -v dt="$((t1 - t0))" \
      -v n="$requests" -v db="$((b1 - b0))" -v ours="$((o1 - o0))" -v wrk="$wrk_cpu" -v att="$attempt" 'BEGIN {
        split(wrk, w, " "); secs = dt / 1e9; cpu = dc / hz
        foreign = 100 * ((db - ours) / hz - w[1] - w[2]) / secs; if (foreign < 0) foreign = 0
        printf "%s\t%s\t%s\t%.0f\t%d\t%d\t%d\t%d\t%.0f\t%.1f\t%.0f\t%d\n", rep, m, t, rps, p50, p99, max, err,
          100 * cpu / secs, (n > 0 ? 1e6 * cpu / n : 0), foreign, att }')
    foreign=$(cut -f11 <<<"$row")
    log "rep $rep $method $target: $(awk -F'\t' '{ printf "%s req/s, p50 %.2f ms, p99 %.2f ms, proxy CPU %s%%, %s us/req, foreign CPU %s%%", $4, $5 / 1000, $6 / 1000, $9, $10, $11 }' <<<"$row")"
    [ "$errors" -eq 0 ] || log "WARNING: $errors errors in $out"
    keep_run "$RESULTS/runs.tsv" "$row" "$foreign" "$attempt" && return
  done
}

log "settling every target (3 s each) and warming Tandem up (${WARMUP} s per method)"
for method in $METHODS; do
  for target in $TARGETS; do
    case $target in tandem* | netty-floor) secs=$WARMUP ;; *) secs=3 ;; esac
    run_wrk "$target" "$method" "$secs" "$RESULTS/raw/warmup-$method-$target.txt"
  done
done

if [ -n "$JFR" ]; then
  "$JCMD" "$TANDEM_PID" JFR.start name=bench settings=profile filename="$RESULTS/tandem.jfr" >>"$RESULTS/bench.log"
fi

for rep in $(seq 1 "$REPS"); do
  for method in $METHODS; do
    # shellcheck disable=SC2086
    for target in $(rotation "$rep" $TARGETS); do
      measure "$rep" "$target" "$method"
    done
  done
done

if [ -n "$JFR" ]; then
  "$JCMD" "$TANDEM_PID" JFR.stop name=bench >>"$RESULTS/bench.log"
fi
kill -0 "$TANDEM_PID" 2>/dev/null || die "Tandem died during the run (see $RESULTS/tandem.log)"
[ -z "$BASE_PID" ] || kill -0 "$BASE_PID" 2>/dev/null || die "tandem-base died during the run (see $RESULTS/tandem-base.log)"

if [ -n "$PERF" ]; then
  # 1. System calls and context switches per request of each target's own processes (NGINX: master + worker).
  events=raw_syscalls:sys_enter,context-switches
  for sc in read readv recvfrom write writev sendto epoll_wait epoll_pwait epoll_ctl futex; do
    events="$events,syscalls:sys_enter_$sc"
  done
  printf 'method\ttarget\trequests\tevent\tper_request\n' > "$RESULTS/perf-syscalls.tsv"
  for method in $METHODS; do
    for target in $TARGETS; do
      pid=$(pid_of "$target")
      pids=$(echo "$pid" $(pgrep -P "$pid") | tr ' ' ',')
      taskset -c "$LOAD_CPU" perf stat -x, -e "$events" -p "$pids" -o "$RESULTS/perf-stat-$method-$target.csv" \
        -- sleep "$DURATION" 2>>"$RESULTS/bench.log" &
      perf_pid=$!
      run_wrk "$target" "$method" "$DURATION" "$RESULTS/raw/perf-stat-$method-$target.txt"
      wait "$perf_pid" || true
      n=$(grep -o 'requests=[0-9]*' "$RESULTS/raw/perf-stat-$method-$target.txt" | cut -d= -f2)
      awk -F, -v m="$method" -v t="$target" -v n="$n" '$1 ~ /^[0-9]+$/ && n > 0 {
        printf "%s\t%s\t%s\t%s\t%.2f\n", m, t, n, $3, $1 / n }' "$RESULTS/perf-stat-$method-$target.csv" \
        >> "$RESULTS/perf-syscalls.tsv"
    done
  done
  log "system calls per request (perf-syscalls.tsv):"
  awk -F'\t' 'NR > 1 && $5 > 0 { sub(/^(syscalls:sys_enter_|raw_syscalls:sys_enter)/, "", $4);
    if ($4 == "") $4 = "ALL syscalls"; printf "  %-5s %-7s %-17s %7.2f\n", $1, $2, $4, $5 }' \
    "$RESULTS/perf-syscalls.tsv" | tee -a "$RESULTS/bench.log" >&2
  # 2. CPU profile of each proxy (perf sees everything on its core: kernel, i.e. system calls and loopback TCP,
  # libjvm, i.e. GC and JIT compilers, and, with the map file that jcmd writes, JIT-compiled Java methods).
  for method in $METHODS; do
    for target in $TARGETS; do
      [ "$target" != direct ] || continue
      pid=$(pid_of "$target")
      pids=$(echo "$pid" $(pgrep -P "$pid") | tr ' ' ',')
      data="$RESULTS/perf-$method-$target.data"
      log "perf: profiling $target over one $method run"
      taskset -c "$LOAD_CPU" perf record -q -N -F 997 -g -p "$pids" -o "$data" -- sleep "$DURATION" \
        2>>"$RESULTS/bench.log" &
      perf_pid=$!
      run_wrk "$target" "$method" "$DURATION" "$RESULTS/raw/perf-$method-$target.txt"
      wait "$perf_pid" || true
      if [ "$target" = tandem ]; then
        "$JCMD" "$TANDEM_PID" Compiler.perfmap >>"$RESULTS/bench.log" 2>&1 || log "jcmd Compiler.perfmap failed"
      fi
      perf report -i "$data" --no-children --sort dso --stdio -g none 2>/dev/null \
        | grep -v '^$' > "$RESULTS/perf-$method-$target-by-dso.txt" || true
      perf report -i "$data" --no-children --sort dso,sym --stdio -g none 2>/dev/null \
        | grep -v '^$' | head -n 150 > "$RESULTS/perf-$method-$target-top.txt" || true
      log "  $target $method by object: $(grep -v '^#' "$RESULTS/perf-$method-$target-by-dso.txt" | head -n 4 \
        | awk '{ printf "%s %s  ", $1, $2 }')"
    done
  done
  cp "/tmp/perf-$TANDEM_PID.map" "$RESULTS/" 2>/dev/null || true
fi

# ---------------------------------------------------------------------------------------------------- summary
"$HERE/summarize.sh" "$RESULTS/runs.tsv" | tee "$RESULTS/summary.txt"
{
  echo "command: JAVA_OPTS='$JAVA_OPTS' REPS=$REPS DURATION=$DURATION WARMUP=$WARMUP CONNS=$CONNS THREADS=$THREADS" \
    "BODY_BYTES=$BODY_BYTES TARGETS='$TARGETS' ${BASE_JAR:+BASE_JAR=$BASE_JAR }${BASE_DATA_PLANE:+BASE_DATA_PLANE=$BASE_DATA_PLANE }bench/proxy-bench.sh"
  machine_info "$NGINX" "$WRK" "$JAVA" "$JAR_INFO"
} > "$RESULTS/machine.txt"
ln -sfn "$RESULTS" "$HERE/results/latest"
log "done: $RESULTS/summary.txt"
