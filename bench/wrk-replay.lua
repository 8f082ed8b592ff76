-- wrk script for bench/replay-bench.sh: sends the requests of a capture, round-robin, as `tandem replay` does.
--   BENCH_PATHS = a file of request paths, one a line (bench/replay-gen.py --paths writes it from the same mix);
--   each request is "GET <path> HTTP/1.1" with the capture's headers (Host: shop, User-Agent: bench).
-- Every wrk thread starts at the first path and walks the list in order, wrapping around at its end.
-- Besides wrk's own --latency output, prints one machine-readable line starting with "BENCH".
local file = os.getenv("BENCH_PATHS") or error("set BENCH_PATHS to a file of request paths")
local headers = { ["Host"] = "shop", ["User-Agent"] = "bench" }
local reqs = {}
local n = 0
local i = 0

function init(args)
  -- Formatted once, up front: request() only hands out a prepared string.
  for line in io.lines(file) do
    if line ~= "" then
      n = n + 1
      reqs[n] = wrk.format("GET", line, headers)
    end
  end
  if n == 0 then error("no paths in " .. file) end
end

function request()
  i = i % n + 1
  return reqs[i]
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
