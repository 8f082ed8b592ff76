-- wrk script for bench/mirror-bench.sh.
--   BENCH_METHOD=GET|POST (default GET); BENCH_BODY_BYTES = POST body size (default 1024);
--   BENCH_RUN = a tag unique to the run (default: the time), part of every Idempotency-Key.
--   BENCH_RATE = requests per second for the whole run (0, the default: as fast as the connections go);
--   BENCH_THREADS = wrk's -t, to split BENCH_RATE between the threads.
-- GET sends wrk's one static request (no Lua per request, as wrk-bench.lua). POST builds each request in Lua
-- with its own `Idempotency-Key: <run>-<thread>-<counter>`: Tandem derives a POST copy's key from the body hash
-- and a 1-minute bucket unless the client sends one, so identical wrk bodies would otherwise be counted as
-- duplicates and not sent to the shadow. The same script drives NGINX, so both proxies pay the same wrk cost.
-- Besides wrk's --latency output, prints one machine-readable line starting with "BENCH".
local method = os.getenv("BENCH_METHOD") or "GET"
local run = os.getenv("BENCH_RUN") or tostring(os.time())
wrk.method = method
if method == "POST" then
  wrk.body = string.rep("x", tonumber(os.getenv("BENCH_BODY_BYTES") or "1024"))
  wrk.headers["Content-Type"] = "application/octet-stream"
end

local threads = {}
local counter = 0
local prefix = run

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = run .. "-" .. tostring(tid) .. "-"
end

if method == "POST" then
  local path = wrk.path
  local headers = wrk.headers
  local body = wrk.body
  function request()
    counter = counter + 1
    headers["Idempotency-Key"] = prefix .. counter
    return wrk.format(method, path, headers, body)
  end
end

-- A fixed offered rate: each thread keeps a schedule, one request every `interval` ms, and each of its connections,
-- when ready for its next request, waits (wrk's delay()) for the next free slot of the schedule. wrk measures the
-- latency from when the request is written, so the wait is not counted. When the target is behind schedule the
-- request goes at once, with at most 100 ms of backlog caught up, so that a stall is not followed by a burst.
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
if rate > 0 then
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clock_id, bench_timespec *tp);
  ]]
  local ts = ffi.new("bench_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = 1000 * tonumber(os.getenv("BENCH_THREADS") or "1") / rate
  local next_at = nil
  function delay()
    local now = now_ms()
    if next_at == nil or next_at < now - 100 then
      next_at = now
    end
    next_at = next_at + interval
    local d = next_at - now
    if d < 0 then
      return 0
    end
    return d
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f"
      .. " err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
