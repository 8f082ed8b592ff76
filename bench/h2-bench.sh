#!/usr/bin/env bash
# HTTP/2 and gRPC benchmark: h2load against Tandem and NGINX (one worker) side by side in one run, and against the
# backends directly. See bench/README.md, section "HTTP/2 and gRPC (h2load)", for what is measured.
#
#   TANDEM_JAR=/tmp/tandem-h2.jar bench/h2-bench.sh                  # 3 repetitions, ~6½ min on a quiet machine
#   REPS=1 DURATION=3 WARMUP=10 bench/h2-bench.sh                    # smoke run
#   SCENARIOS=grpc CLIENTS=64 STREAMS=1 bench/h2-bench.sh            # gRPC only, one stream per connection
#
# Two scenarios, one process per proxy serving both (as proxy-bench.sh serves GET and POST from one):
#   h2-h1  h2load (cleartext HTTP/2, prior knowledge) GET / -> proxy -> HTTP/1.1 keep-alive backend (1 KB body)
#   grpc   h2load POST /bench.v1.Echo/Call, a gRPC-shaped unary call (content-type application/grpc, te: trailers,
#          one length-prefixed message) -> proxy -> HTTP/2 cleartext backend answering a length-prefixed message and
#          a grpc-status: 0 trailer
# Targets: nginx (http2 listener; proxy_pass to a keepalive upstream | grpc_pass), tandem (server.http2 defaults;
# backends protocol http1 | h2c, a grpcService route), direct (h2load against the backend itself; for h2-h1 the
# same server block on an h2c listener): the ceiling of h2load and the backend on their shared core.
#
# Layout as in proxy-bench.sh: core $PROXY_CPU (0) runs the proxy under test, core $LOAD_CPU (1) h2load and the
# backend NGINX. 127.0.0.1 only; temp files in one mktemp dir; everything started here is stopped on exit. Output:
# bench/results/h2-<timestamp>/ (gitignored), bench/results/latest-h2.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

JAR=${TANDEM_JAR:-$ROOT/proxy/target/tandem.jar}
JAVA=${JAVA:-java}
JAVA_OPTS=${JAVA_OPTS:-}                 # extra JVM flags for Tandem (added after the pinning flags)
NGINX=${NGINX:-/usr/sbin/nginx}
H2LOAD=${H2LOAD:-h2load}
NGHTTP=${NGHTTP:-nghttp}
REPS=${REPS:-3}                          # repetitions; each one runs every scenario x target once
DURATION=${DURATION:-10}                 # seconds measured per h2load run (h2load -D) ...
SETTLE=${SETTLE:-2}                      # ... after this many seconds of unmeasured load (h2load --warm-up-time)
WARMUP=${WARMUP:-30}                     # seconds of load against Tandem per scenario before measuring (JIT) ...
JIT_QUIET=${JIT_QUIET:-2}                # ... then more rounds of WARMUP/3 s while its C1/C2 threads use >= this
WARMUP_MAX=${WARMUP_MAX:-120}            #     % of a core, for at most this many seconds in all
CLIENTS=${CLIENTS:-16}                   # h2load -c: connections
STREAMS=${STREAMS:-10}                   # h2load -m: concurrent streams per connection
MAX_STREAMS=${MAX_STREAMS:-100}          # both proxies' SETTINGS_MAX_CONCURRENT_STREAMS to clients
MSG_BYTES=${MSG_BYTES:-100}              # gRPC message payload, request and response (plus the 5-byte prefix)
H2C_CONNS=${H2C_CONNS:-16}               # Tandem's h2c backend maxConnections (each one multiplexes streams)
SCENARIOS=${SCENARIOS:-"h2-h1 grpc"}
TARGETS=${TARGETS:-"direct nginx tandem"}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
KEEP_LOGS=${KEEP_LOGS:-}                 # non-empty: keep h2load's per-request logs (gzipped) under raw/
TAG=${TAG:-}                             # appended to the results directory name
QUIET_WAIT=${QUIET_WAIT:-120}            # max seconds to wait for an idle machine before each run
FOREIGN_MAX=${FOREIGN_MAX:-10}           # a run during which other processes used more than this % of a core ...
RETRIES=${RETRIES:-2}                    # ... is measured again, at most this many times
BACKEND_PORT=19101                       # HTTP/1.1 backend
BACKEND_H2_PORT=19111                    # the same server block, h2c (target direct of h2-h1)
GRPC_PORT=19102                          # h2c gRPC-shaped backend
NGINX_PORT=18190
TANDEM_PORT=18180
ADMIN_PORT=18181
ADMIN_TOKEN=bench-admin-token-h2load

RESULTS=${RESULTS:-$HERE/results/h2-$(date +%Y%m%d-%H%M%S)${TAG:+-$TAG}}
mkdir -p "$RESULTS/raw"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tandem-h2-bench.XXXXXX")
PIDS=()

# shellcheck source=lib.sh
. "$HERE/lib.sh"   # log, die, cleanup trap, nginx configs, CPU accounting, wait_quiet, jit_ticks
bench_init_traps

# ---------------------------------------------------------------------------------------------------- preflight
require_tools "$NGINX" "$H2LOAD" "$NGHTTP" "$JAVA" taskset curl awk pgrep ss python3
[ -f "$JAR" ] || die "$JAR missing: build it with (cd $ROOT && mvn -B -q -DskipTests package)"
[ "$(nproc --all)" -ge 2 ] || die "needs at least 2 cores"
[ "$STREAMS" -le "$MAX_STREAMS" ] || die "STREAMS ($STREAMS) > MAX_STREAMS ($MAX_STREAMS): the proxies would queue"
require_free_ports $BACKEND_PORT $BACKEND_H2_PORT $GRPC_PORT $NGINX_PORT $TANDEM_PORT $ADMIN_PORT
cp "$JAR" "$TMP/tandem.jar"   # a private copy: a rebuild during the run cannot change the code under test
JAR_INFO=$(jar_info "$JAR" "$TMP/tandem.jar")
CLK_TCK=$(getconf CLK_TCK)

# gRPC messages: 1 byte "not compressed", 4 bytes big-endian length, the payload.
grpc_message() { # payload-char
  python3 -c 'import struct, sys; n = int(sys.argv[1]); sys.stdout.buffer.write(b"\0" + struct.pack(">I", n) + sys.argv[2].encode() * n)' \
    "$MSG_BYTES" "$1"
}
grpc_message q > "$TMP/grpc-request.bin"
grpc_message r > "$TMP/grpc-response.bin"
GRPC_RESPONSE_BYTES=$((MSG_BYTES + 5))

# ------------------------------------------------------------------------------------------------------ backend
# One NGINX on the load core: proxy-bench.sh's backend server (HTTP/1.1, and the same block on an h2c listener),
# and the gRPC-shaped server. That one reads the whole request first (echo module), as a gRPC server does: with
# `return` NGINX answers from the request's HEADERS frame and, when the DATA frame comes later, closes the stream
# with RST_STREAM after its answer, which NGINX's grpc_pass takes for a frame on an unknown stream once it has
# reused the connection (502s in trials). echo's string carries the binary message as it is (NGINX's config
# strings are length-counted, NUL bytes included); the trailer comes from add_trailer, after the body, as gRPC's.
ECHO_MODULE=$("$NGINX" -V 2>&1 | tr ' ' '\n' | awk -F= '$1 == "--modules-path" { print $2 }')/ngx_http_echo_module.so
[ -f "$ECHO_MODULE" ] || die "$ECHO_MODULE missing: apt-get install -y libnginx-mod-http-echo"
mkdir -p "$TMP/backend" "$TMP/nginx"
{
  echo "load_module $ECHO_MODULE;"
  nginx_common "$TMP/backend"
  nginx_backend_server "$BACKEND_PORT" | sed "s/^    listen 127.0.0.1:$BACKEND_PORT backlog=4096;/&\n    listen 127.0.0.1:$BACKEND_H2_PORT http2 backlog=4096;/"
  cat <<EOF
  server {
    listen 127.0.0.1:$GRPC_PORT http2 backlog=4096;
    http2_max_concurrent_streams 1024;
    location / {
      default_type application/grpc;
      add_trailer grpc-status 0;
      echo_read_request_body;
EOF
  printf '      echo -n "'; cat "$TMP/grpc-response.bin"; printf '";\n'
  echo "    }"
  echo "  }"
  echo "}"
} > "$TMP/backend/nginx.conf"
grep -q "listen 127.0.0.1:$BACKEND_H2_PORT http2" "$TMP/backend/nginx.conf" || die "backend h2c listener not added"

# ------------------------------------------------------------------------------------------ NGINX reverse proxy
# HTTP/1.1 as in proxy-bench.sh (keepalive upstream, the X-Forwarded-* headers Tandem adds); gRPC by grpc_pass to
# a keepalive upstream (NGINX sends one request per upstream connection at a time: it does not multiplex).
# keepalive 256, as Tandem's maxConnections: with CLIENTS x STREAMS (160) requests in flight, proxy-bench.sh's 64
# would make NGINX close and reopen the connections beyond 64 after every answer.
{
  nginx_common "$TMP/nginx"
  cat <<EOF
  upstream legacy {
    server 127.0.0.1:$BACKEND_PORT;
    keepalive 256;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }
  upstream echo {
    server 127.0.0.1:$GRPC_PORT;
    keepalive 256;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT http2 backlog=4096;
    http2_max_concurrent_streams $MAX_STREAMS;
    client_body_buffer_size 16k;
    location / {
      proxy_pass http://legacy;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$http_host;
    }
    location /bench.v1.Echo/ {
      grpc_pass grpc://echo;
      grpc_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      grpc_set_header X-Forwarded-Proto \$scheme;
      grpc_set_header X-Forwarded-Host \$http_host;
    }
  }
}
EOF
} > "$TMP/nginx/nginx.conf"
# Both NGINX error logs into the results (lib.sh puts them in the prefix, which is removed on exit).
sed -i "s|^error_log .*|error_log $RESULTS/backend-nginx-error.log warn;|" "$TMP/backend/nginx.conf"
sed -i "s|^error_log .*|error_log $RESULTS/proxy-nginx-error.log warn;|" "$TMP/nginx/nginx.conf"

# ------------------------------------------------------------------------------------------------------ Tandem
cat > "$TMP/tandem.yaml" <<EOF
server:
  host: 127.0.0.1
  port: $TANDEM_PORT
  instances: 1
  http2: { cleartext: { priorKnowledge: true }, maxConcurrentStreams: $MAX_STREAMS }
admin: { host: 127.0.0.1, port: $ADMIN_PORT, token: $ADMIN_TOKEN }
backends:
  legacy: { url: "http://127.0.0.1:$BACKEND_PORT", protocol: http1, maxConnections: 256 }
  echo: { url: "http://127.0.0.1:$GRPC_PORT", protocol: h2c, maxConnections: $H2C_CONNS }
routes:
  - name: echo
    match: { grpcService: bench.v1.Echo }
    primary: echo
  - name: default
    match: { pathPrefix: / }
    primary: legacy
EOF
"$JAVA" -jar "$TMP/tandem.jar" proxy --check --config "$TMP/tandem.yaml" >"$RESULTS/tandem-check.txt" 2>&1 \
  || die "tandem proxy --check refused the config: $(cat "$RESULTS/tandem-check.txt")"
cp "$TMP/tandem.yaml" "$TMP/nginx/nginx.conf" "$RESULTS/"

# ------------------------------------------------------------------------------------------------------- start
log "results in $RESULTS"
taskset -c "$LOAD_CPU" "$NGINX" -p "$TMP/backend" -e "$TMP/backend/error.log" -c "$TMP/backend/nginx.conf" \
  >"$RESULTS/backend-nginx.log" 2>&1 &
BACKEND_PID=$!; PIDS+=("$BACKEND_PID")
taskset -c "$PROXY_CPU" "$NGINX" -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" \
  >"$RESULTS/proxy-nginx.log" 2>&1 &
NGINX_PID=$!; PIDS+=("$NGINX_PID")
# shellcheck disable=SC2086
taskset -c "$PROXY_CPU" "$JAVA" -XX:ActiveProcessorCount=1 $JAVA_OPTS -jar "$TMP/tandem.jar" proxy \
  --config "$TMP/tandem.yaml" >"$RESULTS/tandem.log" 2>&1 &
TANDEM_PID=$!; PIDS+=("$TANDEM_PID")

wait_h2() { # url pid
  for _ in $(seq 1 300); do
    kill -0 "$2" 2>/dev/null || die "process $2 for $1 exited (see $RESULTS)"
    if curl -fsS -o /dev/null --max-time 1 --http2-prior-knowledge "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "$1 did not answer within 30 s"
}
wait_http "http://127.0.0.1:$BACKEND_PORT/" "$BACKEND_PID"
wait_h2 "http://127.0.0.1:$NGINX_PORT/" "$NGINX_PID"
wait_h2 "http://127.0.0.1:$TANDEM_PORT/" "$TANDEM_PID"
log "backend nginx pid $BACKEND_PID, proxy nginx pid $NGINX_PID, tandem pid $TANDEM_PID"

port_of() {
  case $1 in
    direct) [ "$2" = grpc ] && echo "$GRPC_PORT" || echo "$BACKEND_H2_PORT" ;;
    nginx) echo "$NGINX_PORT" ;;
    tandem) echo "$TANDEM_PORT" ;;
    *) die "unknown target $1" ;;
  esac
}
url_of() { # target scenario
  case $2 in
    h2-h1) echo "http://127.0.0.1:$(port_of "$1" "$2")/" ;;
    grpc) echo "http://127.0.0.1:$(port_of "$1" "$2")/bench.v1.Echo/Call" ;;
    *) die "unknown scenario $2" ;;
  esac
}
pid_of() { case $1 in direct) echo "$BACKEND_PID" ;; nginx) echo "$NGINX_PID" ;; tandem) echo "$TANDEM_PID" ;; esac; }
upstream_port() { [ "$1" = grpc ] && echo "$GRPC_PORT" || echo "$BACKEND_PORT"; }
GRPC_ARGS=(-d "$TMP/grpc-request.bin" -H 'content-type: application/grpc' -H 'te: trailers')

# ----------------------------------------------------------------------------------------------- sanity checks
# h2-h1: 1024 bytes over HTTP/2. grpc: nghttp -v shows the answer's frames: 200, application/grpc, the message
# whole, then grpc-status: 0 in a HEADERS frame that ends the stream, after the DATA (a trailer, not a header).
for target in $TARGETS; do
  url=$(url_of "$target" h2-h1)
  out=$(curl -sS --http2-prior-knowledge -o "$TMP/body" -w '%{http_code} HTTP/%{http_version}' "$url")
  got=$(wc -c <"$TMP/body")
  [ "$out" = "200 HTTP/2" ] && [ "$got" -eq 1024 ] || die "GET $url: '$out', $got bytes; expected '200 HTTP/2', 1024"
  url=$(url_of "$target" grpc)
  "$NGHTTP" -v -d "$TMP/grpc-request.bin" -H 'content-type: application/grpc' -H 'te: trailers' "$url" \
    >"$RESULTS/sanity-grpc-$target.txt" 2>&1 || die "nghttp $url failed (see $RESULTS/sanity-grpc-$target.txt)"
  verdict=$(LC_ALL=C awk -v want="$GRPC_RESPONSE_BYTES" '
    /recv \(stream_id=[0-9]+\) :status: / { status = $NF }
    /recv \(stream_id=[0-9]+\) content-type: / { ctype = $NF }
    /recv DATA frame <length=/ { l = $0; sub(/.*length=/, "", l); sub(/,.*/, "", l); data += l }
    /recv \(stream_id=[0-9]+\) grpc-status: / { gs = $NF; after = data }
    /recv HEADERS frame/ && gs != "" && !ended { getline f; if (f ~ /END_STREAM/) ended = 1 }
    END { ok = status == 200 && ctype == "application/grpc" && data == want && gs == "0" && after == want && ended
          printf "%s status=%s content-type=%s data=%s grpc-status=%s (trailer after %s bytes, ends the stream: %s)",
            ok ? "ok" : "BAD", status, ctype, data, gs, after, ended ? "yes" : "no" }' "$RESULTS/sanity-grpc-$target.txt")
  log "sanity $target grpc: $verdict"
  [ "${verdict%% *}" = ok ] || die "gRPC answer through $target is not as expected (see $RESULTS/sanity-grpc-$target.txt)"
done
log "sanity checks passed (h2-h1: 1 KB over HTTP/2; grpc: message and grpc-status trailer)"

# ------------------------------------------------------------------------------------------------------ runs
run_h2load() { # target scenario seconds outfile [settle-seconds log-file]
  local extra=()
  [ "$2" = grpc ] && extra=("${GRPC_ARGS[@]}")
  [ -z "${6:-}" ] || extra+=(--warm-up-time "$5" --log-file "$6")
  taskset -c "$LOAD_CPU" "$H2LOAD" -c "$CLIENTS" -m "$STREAMS" -D "$3" "${extra[@]}" "$(url_of "$1" "$2")" \
    >"$4" 2>&1 || true
}

# h2load's summary: "finished in 12.00s, N req/s" (over -D only), request counts, status classes, and the
# "time for request" row (min max mean sd; units us, ms or s), all in microseconds.
h2load_figures() { # outfile -> rps total succeeded errors non2xx min_us max_us mean_us sd_us
  awk 'function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return 1000 * v; if (v ~ /s$/) return 1e6 * v; return v + 0 }
    /^finished in / { rps = $4 }
    /^requests: / { total = $2; ok = $8; errors = $10 + $12 + $14 }
    /^status codes: / { non2xx = $5 + $7 + $9 }
    /^time for request: / { min = us($4); max = us($5); mean = us($6); sd = us($7) }
    END { if (rps == "") exit 1; printf "%s %d %d %d %d %d %d %d %d\n", rps, total, ok, errors, non2xx, min, max, mean, sd }' "$1"
}
# p50 and p99 (nearest rank) of the measured requests, from h2load's per-request log (3rd column: microseconds
# from the request's start to the end of its answer).
log_percentiles() { # log-file
  cut -f3 "$1" | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "0 0"; exit }
    i = int(NR * 0.50); if (i < NR * 0.50) i++; j = int(NR * 0.99); if (j < NR * 0.99) j++; print v[i], v[j] }'
}
# Established connections from the target's processes (NGINX: its worker) to the backend, sampled mid-run.
upstream_conns() { # pid port
  local pids p n=0
  pids=$(echo "$1" $(pgrep -P "$1"))
  for p in $pids; do
    n=$((n + $(ss -Htnp state established "( dport = :$2 )" 2>/dev/null | grep -c "pid=$p," || true)))
  done
  echo "$n"
}
ours_ticks() { echo $(($(cpu_ticks "$BACKEND_PID") + $(cpu_ticks "$NGINX_PID") + $(cpu_ticks "$TANDEM_PID"))); }

HEADER="rep scenario target rps p50_us p99_us mean_us sd_us min_us max_us requests errors non2xx proxy_cpu_pct"
HEADER="$HEADER proxy_cpu_us_per_req upstream_conns jit_cpu_pct foreign_cpu_pct attempt"
tr ' ' '\t' <<<"$HEADER" > "$RESULTS/runs.tsv"

# One measured h2load run: h2load's figures, p50/p99 from its log; the target's CPU over the measured window
# (from the end of h2load's --warm-up-time on: its core's utilisation and CPU time per request, steadier than req/s
# here); its backend connections mid-run; Tandem's JIT share; foreign CPU over the whole run (what the machine spent
# beyond h2load and the processes started here, in % of one core). A run disturbed by foreign work is measured again.
measure() { # rep scenario target
  local rep=$1 scenario=$2 target=$3 pid out lf attempt c1 o0 o1 b0 b1 j1 t0 t1 h2_cpu figures pct mark conns
  local row foreign sampler
  pid=$(pid_of "$target")
  for attempt in $(seq 1 $((RETRIES + 1))); do
    out="$RESULTS/raw/rep$rep-$scenario-$target-$attempt.txt"
    lf="$TMP/rep$rep-$scenario-$target-$attempt.log"
    rm -f "$TMP/mark" "$TMP/conns"
    wait_quiet
    (
      sleep "$SETTLE"; echo "$(cpu_ticks "$pid") $(jit_ticks) $(date +%s%N)" > "$TMP/mark"
      sleep $((DURATION / 2))
      if [ "$target" = direct ]; then echo - > "$TMP/conns"; else upstream_conns "$pid" "$(upstream_port "$scenario")" > "$TMP/conns"; fi
    ) &
    sampler=$!
    o0=$(ours_ticks); b0=$(busy_ticks); t0=$(date +%s%N)
    h2_cpu=$( { TIMEFORMAT='%U %S'; time run_h2load "$target" "$scenario" "$DURATION" "$out" "$SETTLE" "$lf"; } 2>&1 )
    c1=$(cpu_ticks "$pid"); o1=$(ours_ticks); b1=$(busy_ticks); j1=$(jit_ticks); t1=$(date +%s%N)
    wait "$sampler" || true
    mark=$(cat "$TMP/mark" 2>/dev/null) || die "no CPU mark for $out"
    conns=$(cat "$TMP/conns" 2>/dev/null || echo -)
    figures=$(h2load_figures "$out") || die "no result in $out"
    pct=$(log_percentiles "$lf")
    if [ -n "$KEEP_LOGS" ]; then gzip -c "$lf" > "$RESULTS/raw/$(basename "$lf").gz"; fi
    rm -f "$lf"
    row=$(awk -v rep="$rep" -v s="$scenario" -v t="$target" -v f="$figures" -v pct="$pct" -v mark="$mark" \
      -v c1="$c1" -v j1="$j1" -v t1="$t1" -v hz="$CLK_TCK" -v dt="$((t1 - t0))" -v db="$((b1 - b0))" \
      -v ours="$((o1 - o0))" -v h2="$h2_cpu" -v conns="$conns" -v att="$attempt" 'BEGIN {
        split(f, x, " "); split(pct, p, " "); split(h2, w, " "); split(mark, m, " ")
        foreign = 100 * ((db - ours) / hz - w[1] - w[2]) / (dt / 1e9); if (foreign < 0) foreign = 0
        secs = (t1 - m[3]) / 1e9; cpu = (c1 - m[1]) / hz
        printf "%s\t%s\t%s\t%.0f\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.0f\t%.1f\t%s\t%.1f\t%.0f\t%d\n", rep, s, t,
          x[1], p[1], p[2], x[8], x[9], x[6], x[7], x[2], x[4], x[5], 100 * cpu / secs, (x[2] > 0 ? 1e6 * cpu / x[2] : 0),
          conns, (t == "tandem" ? 100 * (j1 - m[2]) / hz / secs : 0), foreign, att }')
    foreign=$(cut -f18 <<<"$row")
    log "rep $rep $scenario $target: $(awk -F'\t' '{ printf "%s req/s, mean %.2f ms (sd %.2f), p50 %.2f, p99 %.2f, max %.2f ms, errors %s, non-2xx %s, proxy CPU %s%%, %s us/req, upstream conns %s, JIT %s%%, foreign CPU %s%%",
      $4, $7 / 1000, $8 / 1000, $5 / 1000, $6 / 1000, $10 / 1000, $12, $13, $14, $15, $16, $17, $18 }' <<<"$row")"
    [ "$(cut -f12 <<<"$row")" -eq 0 ] && [ "$(cut -f13 <<<"$row")" -eq 0 ] || log "WARNING: errors or non-2xx in $out"
    keep_run "$RESULTS/runs.tsv" "$row" "$foreign" "$attempt" && return
  done
}

# Warm-up: 3 s per case for NGINX and the backend; Tandem WARMUP s per scenario, then rounds of WARMUP/3 s while
# its JIT compilers still take >= JIT_QUIET % of a core (HTTP/2 is a code path proxy-bench.sh never warms).
log "settling every target (3 s per case) and warming Tandem up (${WARMUP} s per scenario, then until its JIT is quiet)"
for scenario in $SCENARIOS; do
  for target in $TARGETS; do
    [ "$target" = tandem ] || run_h2load "$target" "$scenario" 3 "$RESULTS/raw/warmup-$scenario-$target.txt"
  done
done
if grep -qw tandem <<<"$TARGETS"; then
  warm_start=$SECONDS; round=0; secs=$WARMUP
  while :; do
    round=$((round + 1)); j0=$(jit_ticks); r0=$(date +%s%N)
    for scenario in $SCENARIOS; do
      run_h2load tandem "$scenario" "$secs" "$RESULTS/raw/warmup-$round-$scenario-tandem.txt"
    done
    jit_pct=$(awk -v d="$(($(jit_ticks) - j0))" -v hz="$CLK_TCK" -v dt="$(($(date +%s%N) - r0))" \
      'BEGIN { printf "%.1f", 100 * d / hz / (dt / 1e9) }')
    log "warm-up round $round (${secs} s per scenario): JIT compilers used ${jit_pct}% of a core; $(grep -h \
      '^finished in' "$RESULTS"/raw/warmup-$round-*-tandem.txt | awk '{ printf "%.0f ", $4 }')req/s"
    awk -v j="$jit_pct" -v q="$JIT_QUIET" 'BEGIN { exit !(j >= q) }' || break
    if [ $((SECONDS - warm_start)) -ge "$WARMUP_MAX" ]; then
      log "WARNING: the JIT is still compiling after ${WARMUP_MAX} s of warm-up: measuring anyway"; break
    fi
    secs=$(( (WARMUP + 2) / 3 ))
  done
fi

for rep in $(seq 1 "$REPS"); do
  for scenario in $SCENARIOS; do
    # shellcheck disable=SC2086
    for target in $(rotation "$rep" $TARGETS); do
      measure "$rep" "$scenario" "$target"
    done
  done
done
kill -0 "$TANDEM_PID" 2>/dev/null || die "Tandem died during the run (see $RESULTS/tandem.log)"

# Which of Tandem's paths served the requests (HTTP/2 cannot take the Netty path), and its requests by route.
curl -fsS --max-time 5 "http://127.0.0.1:$ADMIN_PORT/metrics" 2>/dev/null \
  | grep -E '^tandem_(dataplane_requests_total|requests_total)' > "$RESULTS/tandem-metrics.txt" || true
log "Tandem served: $(awk '/^tandem_dataplane_requests_total/ { printf "%s %.0f; ", $1, $2 }' "$RESULTS/tandem-metrics.txt")" \
  "its log: $(grep -c ' SEVERE ' "$RESULTS/tandem.log" || true) SEVERE entries" \
  "($(grep -c 'NullPointerException.*val\$promise' "$RESULTS/tandem.log" || true) of them Vert.x's NPE in VertxHttp2Stream on a closed connection)"

# ---------------------------------------------------------------------------------------------------- summary
{
  echo "command: JAVA_OPTS='$JAVA_OPTS' REPS=$REPS DURATION=$DURATION SETTLE=$SETTLE WARMUP=$WARMUP CLIENTS=$CLIENTS" \
    "STREAMS=$STREAMS MAX_STREAMS=$MAX_STREAMS MSG_BYTES=$MSG_BYTES H2C_CONNS=$H2C_CONNS SCENARIOS='$SCENARIOS'" \
    "TARGETS='$TARGETS' TANDEM_JAR=$JAR bench/h2-bench.sh"
  machine_info "$NGINX" "${WRK:-wrk}" "$JAVA" "$JAR_INFO"
  "$H2LOAD" --version 2>&1 | head -n1
} > "$RESULTS/machine.txt"
"$HERE/h2-summarize.sh" "$RESULTS/runs.tsv" | tee "$RESULTS/summary.txt"
ln -sfn "$RESULTS" "$HERE/results/latest-h2"
log "done: $RESULTS/summary.txt"
