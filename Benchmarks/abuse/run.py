#!/usr/bin/env python3
"""The proxy core under abuse (issue #10): slowloris beside a real client, then 10,000 concurrent
connections, printing the proxy's memory (RSS) as it goes.

    swift build -c release --product ProxyBenchmark
    python3 Benchmarks/abuse/run.py [--binary .build/release/ProxyBenchmark] [--connections 10000] [--slow 5000]

The proxy is ProxyBenchmark (SluiceProxy serving one HTTPRoute, blue 90 / green 10) in front of
two small upstreams this script starts in a separate process. Every figure is printed; the exit
status is 1 when a real client failed during slowloris or a connection got anything but an HTTP
answer or a clean refusal.
"""
import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time

UPSTREAM = r'''
import asyncio, sys
async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            body = b"ok " + sys.argv[1].encode()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
    except Exception:
        writer.close()
async def main():
    servers = [await asyncio.start_server(handle, "127.0.0.1", int(port), backlog=4096) for port in sys.argv[2:]]
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))
asyncio.run(main())
'''


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


async def request(port, path="/api/x"):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: app.example.test\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        data = await reader.read()
        return data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "garbage"
    finally:
        writer.close()


async def slowloris(port, count, duration):
    """`count` connections each sending a request head one byte a second, never finishing it."""
    sockets = []
    for _ in range(count):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /api/slow HTTP/1.1\r\nHost: app.example.test\r\n")
            sockets.append(writer)
        except OSError:
            break
    opened = len(sockets)
    end = time.monotonic() + duration
    while time.monotonic() < end:
        for writer in sockets:
            if not writer.is_closing():
                writer.write(b"x")
        await asyncio.sleep(1)
    closed_by_proxy = sum(1 for w in sockets if w.is_closing())
    for writer in sockets:
        writer.close()
    return opened, closed_by_proxy


async def real_client(port, count):
    latencies, failures = [], 0
    for _ in range(count):
        start = time.monotonic()
        try:
            status = await asyncio.wait_for(request(port), timeout=5)
            if status != "200":
                failures += 1
        except Exception:
            failures += 1
        latencies.append(time.monotonic() - start)
        await asyncio.sleep(0.02)
    return latencies, failures


async def flood(port, count, path="/api/x"):
    """`count` connections opened at once, each sending one request and reading the answer."""
    outcomes = {}

    async def one():
        try:
            status = await asyncio.wait_for(request(port, path), timeout=60)
        except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError):
            status = "refused"
        except asyncio.TimeoutError:
            status = "timeout"
        except OSError as error:
            status = f"os-error {error.errno}"
        outcomes[status] = outcomes.get(status, 0) + 1

    start = time.monotonic()
    await asyncio.gather(*(one() for _ in range(count)))
    return outcomes, time.monotonic() - start


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/ProxyBenchmark")
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--slow", type=int, default=5000)
    parser.add_argument("--slow-seconds", type=int, default=20)
    parser.add_argument("--flood-path", default="/api/x", help="/api/... goes to the upstreams; another path gets the proxy's own 404")
    arguments = parser.parse_args()

    blue, green, listen = free_port(), free_port(), free_port()
    upstream = subprocess.Popen([sys.executable, "-c", UPSTREAM, "upstream", str(blue), str(green)], stdout=subprocess.PIPE)
    upstream.stdout.readline()
    environment = dict(os.environ, BENCH_LISTEN_PORT=str(listen), BENCH_BLUE_ADDR=f"127.0.0.1:{blue}",
                       BENCH_GREEN_ADDR=f"127.0.0.1:{green}", BENCH_WORKERS="1")
    proxy = subprocess.Popen([arguments.binary], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    failed = False
    try:
        for _ in range(100):
            try:
                if await request(listen) == "200":
                    break
            except OSError:
                await asyncio.sleep(0.1)
        rss, _ = rss_kib(proxy.pid)
        print(f"proxy idle: RSS {mib(rss)}")

        slow_task = asyncio.create_task(slowloris(listen, arguments.slow, arguments.slow_seconds))
        await asyncio.sleep(2)
        latencies, failures = await real_client(listen, 200)
        opened, closed = await slow_task
        rss, peak = rss_kib(proxy.pid)
        latencies.sort()
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        print(f"slowloris: {opened} connections trickling a request head for {arguments.slow_seconds} s "
              f"({closed} closed by the proxy); a real client meanwhile: 200 requests, {failures} failed, "
              f"p50 {p50:.1f} ms, p99 {p99:.1f} ms; proxy RSS {mib(rss)} (peak {mib(peak)})")
        failed |= failures > 0

        outcomes, seconds = await flood(listen, arguments.connections, arguments.flood_path)
        rss, peak = rss_kib(proxy.pid)
        described = ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items()))
        print(f"flood: {arguments.connections} concurrent connections in {seconds:.1f} s: {described}; "
              f"proxy RSS {mib(rss)} (peak {mib(peak)})")
        failed |= any(status not in ("200", "404", "refused", "503") for status in outcomes)
        await asyncio.sleep(2)
        rss, peak = rss_kib(proxy.pid)
        print(f"after: RSS {mib(rss)} (peak {mib(peak)}); the proxy still answers: {await request(listen)}")
    finally:
        proxy.terminate()
        upstream.terminate()
        proxy.wait()
        upstream.wait()
    sys.exit(1 if failed else 0)


asyncio.run(main())
