# Shared by the bench/*-bench.sh scripts; sourced, not run.
# The caller sets RESULTS (results directory), TMP (its mktemp dir), PIDS=() (processes to stop on exit),
# QUIET_WAIT, FOREIGN_MAX and RETRIES (for keep_run), and, if it starts Tandem, TANDEM_PID. `bench_init_traps`
# installs the cleanup.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$RESULTS/bench.log" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Stops every process in PIDS and every background job (TERM, then KILL after 5 s), removes TMP.
bench_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in $(jobs -p) "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$TMP"
  [ -z "${TANDEM_PID:-}" ] || rm -f "/tmp/perf-$TANDEM_PID.map"   # written by jcmd Compiler.perfmap for perf
  exit "$rc"
}
bench_init_traps() {
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

require_tools() { local t; for t in "$@"; do command -v "$t" >/dev/null || die "$t not found"; done; }
require_free_ports() {
  local port
  for port in "$@"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then die "port $port is already in use"; fi
  done
}

wait_http() { # url pid
  for _ in $(seq 1 300); do
    kill -0 "$2" 2>/dev/null || die "process $2 for $1 exited (see $RESULTS)"
    if curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "$1 did not answer within 30 s"
}

BODY_1K=$(head -c 1024 /dev/zero | tr '\0' 'a')
NGINX_USER=""
[ "$(id -u)" = 0 ] && NGINX_USER="user root;"   # workers need the private temp dir, which is root-only

# The top of an NGINX config (one worker, no access log, temp paths under the prefix); the caller adds servers
# and closes the http block.
nginx_common() { # prefix dir
  cat <<EOF
$NGINX_USER
daemon off;
master_process on;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type text/plain;
  client_body_temp_path $1/body;
  proxy_temp_path $1/proxy;
  fastcgi_temp_path $1/fastcgi;
  uwsgi_temp_path $1/uwsgi;
  scgi_temp_path $1/scgi;
  keepalive_timeout 300s;
  keepalive_requests 100000000;
EOF
}

# The benchmark's backend server block: GET gets a fixed 1 KB body; POST reads the body off the socket and
# discards it (`return` calls ngx_http_discard_request_body: 2 recvfrom per POST against 1 per GET under perf),
# then answers 200 "ok", so keep-alive goes on (the sanity checks send two POSTs on one connection). No proxying.
nginx_backend_server() { # port
  cat <<EOF
  server {
    listen 127.0.0.1:$1 backlog=4096;
    client_body_buffer_size 16k;
    client_max_body_size 1m;
    location / {
      if (\$request_method = POST) {
        return 200 "ok\n";
      }
      return 200 "$BODY_1K";
    }
  }
EOF
}
nginx_backend_conf() { # prefix-dir port
  nginx_common "$1"
  nginx_backend_server "$2"
  echo "}"
}

# CPU ticks (user + system) used so far by a process and its direct children (NGINX's worker).
cpu_ticks() {
  local total=0 p t
  for p in "$1" $(pgrep -P "$1"); do
    t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo "$total"
}
# CPU ticks of the JIT compiler threads (C1, C2) so far: Tandem's core is shared with them, and with one CPU a
# JIT that is still compiling takes a third of it (seen in JFR: C2 at ~30% for 20 s after a 15 s + 15 s warm-up).
jit_ticks() { # of TANDEM_PID
  local total=0 t ticks
  for t in /proc/"$TANDEM_PID"/task/*; do
    case $(cat "$t/comm" 2>/dev/null) in
      "C1 Compiler"* | "C2 Compiler"*)
        ticks=$(sed 's/^.*) //' "$t/stat" 2>/dev/null | awk '{ print $12 + $13 }') || ticks=0
        total=$((total + ${ticks:-0})) ;;
    esac
  done
  echo "$total"
}
# Busy CPU ticks of the whole machine (user + nice + system, all cores), and idle percent over one second.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 }' /proc/stat; }
idle_pct() {
  local a b
  a=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }'
}
# Waits (up to QUIET_WAIT seconds) until the machine is at least 90% idle: other work on a 2-core box ruins a run.
wait_quiet() {
  local waited=0 idle
  while idle=$(idle_pct); [ "$idle" -lt 90 ] && [ "$waited" -lt "$QUIET_WAIT" ]; do
    [ "$waited" -eq 0 ] && log "machine only $idle% idle (something else is running): waiting for quiet"
    waited=$((waited + 1))
  done
  [ "$idle" -ge 90 ] || log "WARNING: still only $idle% idle after ${QUIET_WAIT}s: measuring anyway"
}

# The targets in the order repetition REP runs them: rotated by one from each repetition to the next, so that no
# target always runs first or last.
rotation() { # rep target...
  local rep=$1 i
  shift
  for ((i = 0; i < $#; i++)); do
    echo "${@:$(((i + rep - 1) % $# + 1)):1}"
  done
}
# Appends a measured run's row to its table, unless other work disturbed it (foreign CPU above FOREIGN_MAX) and a
# retry is left: then it says so and fails, and the caller measures the run again.
keep_run() { # table row foreign-cpu-pct attempt
  if [ "$3" -le "$FOREIGN_MAX" ] || [ "$4" -gt "$RETRIES" ]; then
    [ "$3" -le "$FOREIGN_MAX" ] || log "WARNING: keeping a disturbed run (no retries left)"
    echo "$2" >> "$1"
    return 0
  fi
  log "foreign CPU ${3}% > ${FOREIGN_MAX}%: measuring again"
  return 1
}

# "sha256-prefix  build time" of a jar; taken when the private copy is made, since the original may be rebuilt
# during the run.
jar_info() { # original-jar private-copy
  echo "$(sha256sum "$2" | cut -c1-16)  $(date -r "$1" '+%F %T')"
}
# Machine and tool versions, for machine.txt.
machine_info() { # nginx wrk java jar-info
  echo "nproc: $(nproc)  kernel: $(uname -r)  cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  "$1" -v 2>&1
  "$2" -v 2>&1 | head -n1 || true
  "$3" -version 2>&1
  echo "jar (the copy that ran): $4"
}
