#!/usr/bin/env python3
"""Writes a GoReplay .gor capture of GET requests for bench/replay-bench.sh, and the same request paths, one a
line, for wrk (bench/wrk-replay.lua), so that both send the same requests in the same order.

Each record is "1 <id> <timestamp_ns> 0\\n" followed by the raw request, and records are separated by the bytes
"\\n🐵🙈🙉\\n", as GoReplay writes them. The requests are a fixed mix of a few paths with small headers:

    GET /orders/123 HTTP/1.1\\r\\nHost: shop\\r\\nUser-Agent: bench\\r\\n\\r\\n

Timestamps start at a fixed instant and are spaced 1/RATE seconds apart, so that `tandem replay --speed 1`
replays the file at RATE requests per second. --seq numbers the requests in a header (X-Seq), for the target's
access log. --responses adds after every request its original response (a type-2 record with the same id), as
GoReplay writes with --input-raw-track-response.

With --format tandem it writes the same requests in Tandem's own capture format (JSON Lines, a header line,
then {"id", "time", "request": {...}} per line, without "primary" unless --responses).

    replay-gen.py --count 200000 --rate 20000 --out get.gor --paths get.paths
    replay-gen.py --count 200000 --rate 20000 --format tandem --out get.jsonl
"""
import argparse
import json
import time

SEPARATOR = "\n\U0001F435\U0001F648\U0001F649\n".encode("utf-8")
START_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z
RESPONSE = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


def path(i):
    # A deterministic mix: 40% orders, 30% products, 15% carts, 10% searches, 5% health checks.
    k = i % 20
    if k < 8:
        return "/orders/%d" % (100000 + i % 9973)
    if k < 14:
        return "/products/%d" % (i % 997)
    if k < 17:
        return "/users/%d/cart" % (i % 4999)
    if k < 19:
        return "/search?q=item%d&page=%d" % (i % 101, i % 7)
    return "/health"


def tandem_time(ns):
    """An ISO-8601 instant in UTC with nanoseconds, as Tandem's capture format writes it."""
    sec, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + ".%09dZ" % frac


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, required=True, help="number of requests")
    p.add_argument("--rate", type=float, required=True, help="requests per second of original time")
    p.add_argument("--out", required=True, help="the capture file")
    p.add_argument("--format", choices=["gor", "tandem"], default="gor",
                   help="gor (default), or Tandem's own JSONL capture format (docs/capture-format.md)")
    p.add_argument("--paths", help="also write the request paths here, one a line (for wrk)")
    p.add_argument("--responses", action="store_true", help="add each request's original response")
    p.add_argument("--seq", action="store_true",
                   help="add an X-Seq: <index> header (0-based), so that the target's access log tells when each"
                        " request arrived against its schedule")
    args = p.parse_args()
    step = 1e9 / args.rate
    paths = open(args.paths, "w") if args.paths else None
    with open(args.out, "wb", buffering=1 << 20) as out:
        if args.format == "tandem":
            out.write(b'{"format":"tandem-capture","version":1,"created":"%s","writer":"bench/replay-gen.py"}\n'
                      % tandem_time(START_NS).encode())
        for i in range(args.count):
            ts = START_NS + int(i * step)
            rid = "%024x" % (i + 1)
            u = path(i)
            if args.format == "tandem":
                headers = [["Host", "shop"], ["User-Agent", "bench"]] + ([["X-Seq", str(i)]] if args.seq else [])
                rec = {"id": rid, "time": tandem_time(ts), "route": "bench",
                       "request": {"method": "GET", "uri": u, "version": "HTTP/1.1", "headers": headers}}
                if args.responses:
                    rec["primary"] = {"backend": "legacy", "status": 200, "latencyMicros": 250,
                                      "headers": [["Content-Type", "application/json"]], "body": {"text": '{"ok":true}'}}
                out.write(json.dumps(rec, separators=(",", ":")).encode() + b"\n")
            else:
                if i:
                    out.write(SEPARATOR)
                out.write(b"1 %s %d 0\n" % (rid.encode(), ts))
                seq = b"X-Seq: %d\r\n" % i if args.seq else b""
                out.write(b"GET %s HTTP/1.1\r\nHost: shop\r\nUser-Agent: bench\r\n%s\r\n" % (u.encode(), seq))
                if args.responses:
                    out.write(SEPARATOR)
                    out.write(b"2 %s %d 250000\n" % (rid.encode(), ts + 250_000))
                    out.write(RESPONSE)
            if paths:
                paths.write(u + "\n")
        if args.format == "gor":
            out.write(SEPARATOR)
    if paths:
        paths.close()


if __name__ == "__main__":
    main()
