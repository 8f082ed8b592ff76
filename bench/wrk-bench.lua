-- wrk script for bench/proxy-bench.sh.
--   BENCH_METHOD=GET|POST (default GET); BENCH_BODY_BYTES = POST body size (default 1024).
-- Besides wrk's own --latency output, prints one machine-readable line starting with "BENCH".
local method = os.getenv("BENCH_METHOD") or "GET"
wrk.method = method
if method == "POST" then
  wrk.body = string.rep("x", tonumber(os.getenv("BENCH_BODY_BYTES") or "1024"))
  wrk.headers["Content-Type"] = "application/octet-stream"
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
