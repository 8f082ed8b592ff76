#!/usr/bin/env python3
"""A shadow backend that answers every request after a fixed delay, for bench/mirror-bench.sh.

NGINX cannot wait before answering without a third-party module (echo_sleep is not in Debian's nginx), so this
small asyncio HTTP/1.1 server does it: it reads each request completely (headers and a Content-Length or chunked
body), then waits DELAY seconds with asyncio.sleep, which holds no thread and blocks no other connection, then
answers like the benchmark's backend NGINX: GET gets a fixed 1024-byte body, anything else "ok\n". Keep-alive is
honoured (HTTP/1.1 without "Connection: close"), so a pooled client keeps its connections; an HTTP/1.0 or
"Connection: close" request (NGINX's mirror subrequests) is answered and the connection closed.
GET /__stats answers at once with the counters (requests received and connections accepted, this request and
its connection included, as NGINX's stub_status counts), which the benchmark reads before and after each run.

    slow-shadow.py --port 19003 --delay 0.5        # answers after 500 ms
    slow-shadow.py --port 19004 --delay -1         # never answers (holds the connection until the client closes)

Listens on 127.0.0.1 only. Prints one "stats" line to stderr on SIGTERM/SIGINT: requests answered, connections.
"""
import argparse
import asyncio
import signal
import sys

BODY_GET = b"a" * 1024
BODY_OTHER = b"ok\n"
MAX_HEADER = 64 * 1024

stats = {"requests": 0, "answered": 0, "connections": 0, "open": 0, "max_open": 0}


async def read_body(reader, headers):
    te = headers.get(b"transfer-encoding", b"").lower()
    if b"chunked" in te:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                # trailers, up to the empty line
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return
            await reader.readexactly(size + 2)
    n = int(headers.get(b"content-length", b"0") or b"0")
    while n > 0:
        chunk = await reader.read(min(n, 65536))
        if not chunk:
            raise asyncio.IncompleteReadError(b"", n)
        n -= len(chunk)


async def handle(reader, writer, delay):
    stats["connections"] += 1
    stats["open"] += 1
    stats["max_open"] = max(stats["max_open"], stats["open"])
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            lines = head.split(b"\r\n")
            parts = lines[0].split(b" ")
            if len(parts) != 3:
                return
            method, target, version = parts
            headers = {}
            for line in lines[1:]:
                if b":" in line:
                    k, v = line.split(b":", 1)
                    headers[k.strip().lower()] = v.strip()
            await read_body(reader, headers)
            conn = headers.get(b"connection", b"").lower()
            close = version == b"HTTP/1.0" and b"keep-alive" not in conn or b"close" in conn
            stats["requests"] += 1
            if target == b"/__stats":  # answered at once: the benchmark's own counter
                body = (" ".join(f"{k}={v}" for k, v in stats.items()) + "\n").encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (
                    len(body), body))
                await writer.drain()
                continue
            if delay < 0:
                # Never answers: reads (and drops) whatever else comes until the client closes the connection, so
                # that an abandoned connection is released at once (NGINX's echo_sleep keeps it in CLOSE_WAIT).
                while await reader.read(65536):
                    pass
                return
            await asyncio.sleep(delay)
            body = BODY_GET if method in (b"GET", b"HEAD") else BODY_OTHER
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n%s" % (
                len(body), b"Connection: close\r\n" if close else b"", b"" if method == b"HEAD" else body))
            await writer.drain()
            stats["answered"] += 1
            if close:
                return
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        stats["open"] -= 1
        try:
            writer.close()
        except Exception:  # noqa: BLE001 - the peer may be gone already
            pass


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--delay", type=float, default=0.5, help="seconds before answering; negative: never answer")
    args = p.parse_args()
    server = await asyncio.start_server(lambda r, w: handle(r, w, args.delay), "127.0.0.1", args.port,
                                        backlog=4096, limit=MAX_HEADER, reuse_address=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"slow-shadow listening on 127.0.0.1:{args.port}, delay {args.delay}s", file=sys.stderr, flush=True)
    async with server:
        await stop.wait()
    print("slow-shadow stats: " + " ".join(f"{k}={v}" for k, v in stats.items()), file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
