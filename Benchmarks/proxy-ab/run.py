#!/usr/bin/env python3
"""Interleaved A/B of proxy CPU per request: nginx (1 worker) and one or more ProxyBenchmark
binaries serve the yardstick's route (../shared/bench/proxy) side by side; rounds of wrk runs
rotate over the targets, and each run's CPU (utime+stime of the target's process group, from
/proc) is divided by the requests wrk completed. Prints per-target medians (total, and user and
system apart) and the total's ratio to nginx's median.

    python3 Benchmarks/proxy-ab/run.py --candidate before=/tmp/ProxyBenchmark-before \
        --candidate after=.build/release/ProxyBenchmark --rounds 5 --duration 6

CPU per request is the figure of merit: on a shared box req/s moves with other load, CPU per
request much less. Loopback only; ports 18080-18082 (as the yardstick) and 18101+.
"""
import argparse, os, re, signal, socket, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
YARDSTICK = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "bench", "proxy"))
TICK = os.sysconf("SC_CLK_TCK")


def group_cpu(pgid):
    """User and system CPU seconds of a process group."""
    user = system = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            user += int(fields[11])
            system += int(fields[12])
    return user / TICK, system / TICK


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_port(port, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if port_open(port):
            return
        time.sleep(0.05)
    sys.exit("port %d did not open" % port)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidate", action="append", default=[], help="NAME=BINARY")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=6)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    for port in (18080, 18081, 18082):
        if port_open(port):
            sys.exit("port %d is in use (a yardstick run?)" % port)
    run_dir = tempfile.mkdtemp(prefix="proxy-ab-")
    started = []

    def start(name, command, env=None):
        log = open(os.path.join(run_dir, name + ".log"), "w")
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        started.append(proc)
        return proc

    user = "user nobody nogroup;"
    try:
        start("backends", ["nginx", "-p", run_dir + "/", "-c", os.path.join(YARDSTICK, "conf", "backends.nginx.conf"),
                           "-g", "worker_processes 1; " + user])
        wait_port(18081); wait_port(18082)
        targets = [("nginx", 18080, start("nginx", ["nginx", "-p", run_dir + "/", "-c",
                   os.path.join(YARDSTICK, "conf", "nginx-proxy.conf"), "-g", "worker_processes 1; " + user]))]
        for index, spec in enumerate(args.candidate):
            name, binary = spec.split("=", 1)
            port = 18101 + index
            env = dict(os.environ, BENCH_WORKERS="1", BENCH_LISTEN_PORT=str(port), BENCH_HOST="app.example.test",
                       BENCH_BLUE_ADDR="127.0.0.1:18081", BENCH_GREEN_ADDR="127.0.0.1:18082")
            targets.append((name, port, start(name, [os.path.abspath(binary)], env)))
        for _, port, _ in targets:
            wait_port(port)
        results = {name: [] for name, _, _ in targets}
        for round_index in range(args.rounds + 1):
            order = targets[round_index % len(targets):] + targets[:round_index % len(targets)]
            for name, port, proc in order:
                before = group_cpu(proc.pid)
                out = subprocess.run(
                    ["wrk", "-t1", "-c%d" % args.connections, "-d%ds" % (args.duration if round_index else 2),
                     "-H", "Host: app.example.test", "http://127.0.0.1:%d/api/" % port],
                    capture_output=True, text=True).stdout
                after = group_cpu(proc.pid)
                user, system = after[0] - before[0], after[1] - before[1]
                cpu = user + system
                requests = int(re.search(r"(\d+) requests in", out).group(1))
                rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
                bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
                if round_index:  # round 0 warms up
                    results[name].append((cpu * 1e6 / requests, rps, int(bad.group(1)) if bad else 0,
                                          user * 1e6 / requests, system * 1e6 / requests))
                    print("round %d %-8s %8.1f us/req (user %.1f, sys %.1f) %9.0f req/s" % (
                        round_index, name, cpu * 1e6 / requests, user * 1e6 / requests, system * 1e6 / requests, rps), flush=True)
                time.sleep(1)
        base = statistics.median(r[0] for r in results["nginx"])
        print("\n| target | proxy CPU us/req (median) | vs nginx | user us/req | sys us/req | req/s (median) | non-2xx |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, _, _ in targets:
            cpu = statistics.median(r[0] for r in results[name])
            print("| %s | %.1f | %.2fx | %.1f | %.1f | %.0f | %d |" % (
                name, cpu, cpu / base, statistics.median(r[3] for r in results[name]),
                statistics.median(r[4] for r in results[name]), statistics.median(r[1] for r in results[name]),
                sum(r[2] for r in results[name])))
    finally:
        for proc in reversed(started):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
