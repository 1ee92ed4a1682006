#!/usr/bin/env python3
"""Soak (issue #10): a real `sluice run` on the embedded default serving steady traffic while Git
changes under it — a route change every 10 s, a canary rollout every 5 minutes — counting every
failed request and sampling the agent's memory (RSS) every 10 s.

    swift build -c release --product sluice
    python3 Benchmarks/soak/run.py --binary .build/release/sluice [--duration 3600]

Two Python upstreams (blue and green, both healthy: any failure is Sluice's) sit behind one
HTTPRoute in a local Git repository that the script commits to:
  * every --route-every seconds the route's request header filter changes (x-soak-rev: N), and
    every other time a second HTTPRoute appears or disappears;
  * every --canary-every seconds the route's weights in Git flip between blue and green, which the
    Canary rolls out step by step (10 → 50 → 100 %, probes through Sluice's own proxy).
Client threads send --rate requests per second through the proxy over keep-alive connections
(and one new connection in ten), and count anything but a 200 as a failure.

Printed: requests, failures (with the first few), route changes the upstreams saw, rollouts
finished, and RSS at start, after warm-up (a quarter of the run), at the end and its maximum. The
last line is `SOAK-RESULT {json}` for tests. Exit status 1 when a request failed.
"""
import argparse
import http.client
import http.server
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    """A free port below the kernel's ephemeral range, so no outgoing connection takes it later."""
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except OSError:
        pass
    for _ in range(1000):
        port = random.randint(20000, low - 1)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Upstream:
    """An HTTP/1.1 keep-alive server answering 200 with its name; remembers the newest x-soak-rev."""

    def __init__(self, name):
        self.name = name
        self.port = free_port()
        self.requests = 0
        self.newest_revision = -1
        self.lock = threading.Lock()
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                revision = self.headers.get("x-soak-rev")
                with upstream.lock:
                    upstream.requests += 1
                    if revision is not None and revision.isdigit():
                        upstream.newest_revision = max(upstream.newest_revision, int(revision))
                body = f"{upstream.name}\n".encode()
                self.send_response(200)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


MANIFESTS = """\
apiVersion: v1
kind: Namespace
metadata:
  name: soak
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
  namespace: soak
spec:
  gatewayClassName: sluice
  listeners:
    - name: http
      protocol: HTTP
      port: 80
---
{backends}
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: soak
spec:
  parentRefs:
    - name: edge
  hostnames:
    - shop.soak.test
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            set:
              - name: x-soak-rev
                value: "{revision}"
      backendRefs:
        - name: blue
          port: 8080
          weight: {blue}
        - name: green
          port: 8080
          weight: {green}
---
apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata:
  name: shop
  namespace: soak
spec:
  routeRef:
    kind: HTTPRoute
    name: shop
  steps: [10, 50, 100]
  interval: {step}
  probes:
    - name: health
      request:
        method: GET
        path: /health
        hostname: shop.soak.test
      expect:
        status: [200]
        maxLatency: 1s
      every: 1s
  successRate: 0.99
  minRequests: 1
  failureLimit: 3
{extra}"""

BACKEND = """\
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: soak
spec:
  ports:
    - name: http
      port: 8080
      protocol: TCP
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: {name}-local
  namespace: soak
  labels:
    kubernetes.io/service-name: {name}
addressType: IPv4
endpoints:
  - addresses: [127.0.0.1]
    conditions:
      ready: true
ports:
  - name: http
    port: {port}
    protocol: TCP
---
"""

EXTRA = """\
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: extra
  namespace: soak
spec:
  parentRefs:
    - name: edge
  hostnames:
    - extra-{revision}.soak.test
  rules:
    - backendRefs:
        - name: blue
          port: 8080
"""


class Repository:
    def __init__(self, root, upstreams, step):
        self.root = root
        self.upstreams = upstreams
        self.step = step
        self.revision = 0
        self.green = False
        self.environment = dict(os.environ, GIT_AUTHOR_NAME="soak", GIT_AUTHOR_EMAIL="soak@example.test",
                                GIT_COMMITTER_NAME="soak", GIT_COMMITTER_EMAIL="soak@example.test")
        os.makedirs(root)
        self.git("init", "-q", "-b", "main")
        self.write_and_commit("initial")

    def git(self, *arguments):
        subprocess.run(["git", "-C", self.root] + list(arguments), check=True, env=self.environment,
                       stdout=subprocess.DEVNULL)

    def write_and_commit(self, message):
        backends = "".join(BACKEND.format(name=u.name, port=u.port) for u in self.upstreams)
        extra = EXTRA.format(revision=self.revision) if self.revision % 2 == 1 else ""
        text = MANIFESTS.format(backends=backends, revision=self.revision, blue=0 if self.green else 100,
                                green=100 if self.green else 0, step=self.step, extra=extra)
        with open(os.path.join(self.root, "soak.yaml"), "w") as f:
            f.write(text)
        with open(os.path.join(self.root, "kustomization.yaml"), "w") as f:
            f.write("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - soak.yaml\n")
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def change_route(self):
        self.revision += 1
        self.write_and_commit(f"route change {self.revision}")

    def flip_weights(self):
        self.green = not self.green
        self.revision += 1
        self.write_and_commit(f"canary to {'green' if self.green else 'blue'}")


class Traffic:
    def __init__(self, port, rate, threads):
        self.port = port
        self.rate = rate
        self.threads = threads
        self.requests = 0
        self.failures = []
        self.lock = threading.Lock()
        self.running = True

    def record(self, failure=None):
        with self.lock:
            self.requests += 1
            if failure is not None:
                self.failures.append(failure)

    def worker(self):
        period = self.threads / self.rate
        connection = None
        count = 0
        next_time = time.monotonic()
        while self.running:
            count += 1
            fresh = count % 10 == 0
            try:
                if connection is None or fresh:
                    if connection is not None:
                        connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("GET", f"/soak/{count}", headers={"Host": "shop.soak.test"})
                response = connection.getresponse()
                body = response.read()
                if response.status != 200:
                    self.record(f"{time.strftime('%H:%M:%S')} status {response.status}: {body[:120]!r}")
                else:
                    self.record()
                if response.getheader("connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except Exception as error:  # a reset, a timeout, a refused connection: all failures
                self.record(f"{time.strftime('%H:%M:%S')} {type(error).__name__}: {error}")
                if connection is not None:
                    connection.close()
                connection = None
            next_time += period
            delay = next_time - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_time = time.monotonic()

    def start(self):
        self.workers = [threading.Thread(target=self.worker, daemon=True) for _ in range(self.threads)]
        for worker in self.workers:
            worker.start()

    def stop(self):
        self.running = False
        for worker in self.workers:
            worker.join(timeout=15)


def wait_until(check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def served(port):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/", headers={"Host": "shop.soak.test"})
        status = connection.getresponse().status
        connection.close()
        return status == 200
    except Exception:
        return False


def canary_phase(binary, kubeconfig):
    result = subprocess.run(["kubectl", "--kubeconfig", kubeconfig, "-n", "soak", "get", "canary", "shop", "-o",
                             "jsonpath={.status.phase}"], capture_output=True, text=True)
    return result.stdout.strip() or "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/sluice")
    parser.add_argument("--duration", type=float, default=3600, help="seconds of traffic")
    parser.add_argument("--route-every", type=float, default=10)
    parser.add_argument("--canary-every", type=float, default=300)
    parser.add_argument("--canary-step", default="10s", help="the Canary's interval between steps")
    parser.add_argument("--rate", type=float, default=100, help="requests per second")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--sample-every", type=float, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="sluice-soak-")
    upstreams = [Upstream("blue"), Upstream("green")]
    repository = Repository(os.path.join(work, "repo"), upstreams, args.canary_step)
    proxy_port = free_port()
    metrics_port = free_port()
    log = open(os.path.join(work, "agent.log"), "w")
    agent = subprocess.Popen(
        [os.path.abspath(args.binary), "run", "--repo", repository.root, "--interval", "1s",
         "--data-dir", os.path.join(work, "state"), "--api-listen", "127.0.0.1:0",
         "--listener-port-offset", str(proxy_port - 80), "--metrics-listen", f"127.0.0.1:{metrics_port}"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    kubeconfig = os.path.join(work, "state", "kubeconfig")
    status = 1
    try:
        if not wait_until(lambda: served(proxy_port), 120):
            print("soak: the route was never served; agent log:", file=sys.stderr)
            log.flush()
            print(open(os.path.join(work, "agent.log")).read()[-4000:], file=sys.stderr)
            return 1
        traffic = Traffic(proxy_port, args.rate, args.threads)
        samples = [(0.0, rss_kib(agent.pid))]
        started = time.monotonic()
        traffic.start()
        next_route = started + args.route_every
        next_canary = started + args.canary_every
        next_sample = started + args.sample_every
        route_changes = canary_changes = 0
        phases = []
        while True:
            now = time.monotonic()
            if now - started >= args.duration or agent.poll() is not None:
                break
            if now >= next_canary:
                phases.append(canary_phase(args.binary, kubeconfig))
                repository.flip_weights()
                canary_changes += 1
                next_canary += args.canary_every
                next_route = now + args.route_every
            elif now >= next_route:
                repository.change_route()
                route_changes += 1
                next_route += args.route_every
            if now >= next_sample:
                samples.append((now - started, rss_kib(agent.pid)))
                next_sample += args.sample_every
            time.sleep(max(0.0, min(next_route, next_canary, next_sample) - time.monotonic()))
        traffic.stop()
        elapsed = time.monotonic() - started
        alive = agent.poll() is None
        # The last revision reaches the upstreams within a few seconds of its commit.
        wait_until(lambda: max(u.newest_revision for u in upstreams) >= repository.revision, 15)
        if alive:
            samples.append((elapsed, rss_kib(agent.pid)))
        phases.append(canary_phase(args.binary, kubeconfig))
        warm = min(samples, key=lambda sample: abs(sample[0] - elapsed / 4))
        result = {
            "seconds": round(elapsed, 1), "requests": traffic.requests, "failures": len(traffic.failures),
            "failure_samples": traffic.failures[:10], "route_changes": route_changes, "canary_changes": canary_changes,
            "revision_committed": repository.revision,
            "revision_seen_by_upstreams": max(u.newest_revision for u in upstreams),
            "canary_phases_before_each_change": phases,
            "requests_per_upstream": {u.name: u.requests for u in upstreams},
            "rss_start_kib": samples[0][1], "rss_warm_kib": warm[1], "rss_end_kib": samples[-1][1],
            "rss_max_kib": max(s[1] for s in samples), "rss_samples": len(samples), "agent_alive": alive,
        }
        mib = lambda kib: f"{kib / 1024:.1f}"
        print(f"soak: {elapsed:.0f} s, {route_changes} route changes, {canary_changes} canary changes "
              f"(phases before each: {', '.join(phases)}), {traffic.requests:,} requests, "
              f"{len(traffic.failures)} failed")
        for failure in traffic.failures[:10]:
            print(f"  failed: {failure}")
        print(f"revisions: {repository.revision} committed, newest seen by the upstreams {result['revision_seen_by_upstreams']}; "
              f"requests per upstream: {result['requests_per_upstream']}")
        print(f"RSS MiB: start {mib(result['rss_start_kib'])}, after warm-up ({warm[0]:.0f} s) {mib(warm[1])}, "
              f"end {mib(result['rss_end_kib'])}, max {mib(result['rss_max_kib'])} ({len(samples)} samples)")
        if not alive:
            print("the agent exited during the soak; see " + os.path.join(work, "agent.log"))
        print("SOAK-RESULT " + json.dumps(result), flush=True)
        status = 0 if alive and not traffic.failures else 1
        return status
    finally:
        agent.terminate()
        try:
            agent.wait(timeout=20)
        except subprocess.TimeoutExpired:
            agent.kill()
        log.close()
        if args.keep or status != 0:
            print(f"working directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
