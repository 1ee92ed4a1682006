#!/usr/bin/env python3
"""Times `sluice render` against `kubectl kustomize` on the same generated repository.

    Benchmarks/render/run.py [--sizes 1000,10000] [--kubectl-max-n N] [--kubectl-timeout S] [--no-build]
                             [--sluice PATH] [--previous PATH]

For each N it generates one base and three overlays holding N HTTPRoutes (generate.py), renders
every overlay with both tools (Sluice with --kustomize-compat, so both must print the same
bytes, which is checked), and prints wall time, peak memory (getrusage of each child, via
wait4) and the ratio. kubectl kustomize takes minutes per overlay from N = 1,000 up:
--kubectl-max-n skips it above that N, --kubectl-timeout stops it, and both are reported.
--sluice renders with that binary instead of building one; --previous also renders every
overlay with an earlier build of sluice (its output must be the same) and prints its figures,
so that a change is measured against what it replaces in the same run.
"""
import argparse
import hashlib
import os
import statistics
import resource
import shutil
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
package = os.path.dirname(os.path.dirname(here))


def measure(command, timeout=None):
    """Wall seconds, peak RSS in bytes, stdout as (size, SHA-256) and CPU seconds (user + system)
    of one child.

    Only a digest of the output is kept: Linux counts the RSS a child had before its exec, that is
    the harness's own, in the child's peak (wait4's ru_maxrss), so a harness holding 13 MiB
    outputs made a 78 MiB render read as 95 MiB."""
    with tempfile.TemporaryFile() as out:
        start = time.monotonic()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE)
        deadline = None if timeout is None else start + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if deadline and time.monotonic() > deadline:
                child.kill()
                os.wait4(child.pid, 0)
                return None, None, None, None
            time.sleep(0.005)
        elapsed = time.monotonic() - start
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{' '.join(command)} failed: {child.stderr.read().decode()}")
        out.seek(0)
        digest = hashlib.sha256()
        size = 0
        while chunk := out.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
        return elapsed, usage.ru_maxrss * 1024, (size, digest.hexdigest()), usage.ru_utime + usage.ru_stime


def mib(count):
    return f"{count / 1048576:.1f} MiB"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--kubectl-max-n", type=int, default=10000)
    parser.add_argument("--kubectl-timeout", type=float, default=None, help="seconds per overlay")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--sluice", help="a sluice binary to measure (nothing is built)")
    parser.add_argument("--previous", help="an earlier sluice binary, measured beside it")
    parser.add_argument("--repeat", type=int, default=3, help="runs of sluice per overlay; the median counts")
    options = parser.parse_args()
    if not options.no_build and not options.sluice:
        subprocess.run(["swift", "build", "-c", "release", "--product", "sluice"], cwd=package, check=True)
    sluice = options.sluice or os.path.join(package, ".build", "release", "sluice")
    overlays = ["staging", "production", "canary"]
    results = {}
    for n in [int(size) for size in options.sizes.split(",")]:
        root = tempfile.mkdtemp(prefix=f"sluice-render-bench-{n}-")
        try:
            subprocess.run([sys.executable, os.path.join(here, "generate.py"), str(n), root], check=True)
            yaml_bytes = sum(
                os.path.getsize(os.path.join(directory, name))
                for directory, _, names in os.walk(root) for name in names)
            # The process's own footprint, to tell the cost of the YAML from the runtime's.
            empty = os.path.join(root, "empty")
            os.makedirs(empty)
            with open(os.path.join(empty, "kustomization.yaml"), "w") as f:
                f.write("resources: []\n")
            _, baseline, _, _ = measure([sluice, "render", "--root", root, empty])
            sluice_time, sluice_peak, output_bytes, sluice_cpu = 0.0, 0, 0, 0.0
            kubectl_time, kubectl_peak, kubectl_ran, kubectl_cpu = 0.0, 0, n <= options.kubectl_max_n, 0.0
            outputs = {}
            for overlay in overlays:
                directory = os.path.join(root, "overlays", overlay)
                # The median of --repeat runs: a single run of a second or so swings by 20%, which
                # alone could move the 1,000 -> 10,000 growth across its 12x target.
                runs = [measure([sluice, "render", "--kustomize-compat", "--root", root, directory]) for _ in range(options.repeat)]
                elapsed = statistics.median(run[0] for run in runs)
                cpu = statistics.median(run[3] for run in runs)
                peak = max(run[1] for run in runs)
                output = runs[0][2]
                if any(run[2] != output for run in runs):
                    sys.exit(f"sluice render gave different outputs across runs for {directory}")
                sluice_time += elapsed
                sluice_cpu += cpu
                sluice_peak = max(sluice_peak, peak)
                output_bytes = max(output_bytes, output[0])
                outputs[overlay] = output
            if options.previous:
                previous_time, previous_peak, previous_cpu = 0.0, 0, 0.0
                for overlay in overlays:
                    directory = os.path.join(root, "overlays", overlay)
                    elapsed, peak, output, cpu = measure([options.previous, "render", "--kustomize-compat", "--root", root, directory])
                    previous_time += elapsed
                    previous_cpu += cpu
                    previous_peak = max(previous_peak, peak)
                    if output != outputs[overlay]:
                        sys.exit(f"N={n} {overlay}: outputs of {sluice} and {options.previous} differ")
            if kubectl_ran:
                for overlay in overlays:
                    directory = os.path.join(root, "overlays", overlay)
                    elapsed, peak, output, cpu = measure(["kubectl", "kustomize", directory], options.kubectl_timeout)
                    if elapsed is None:
                        kubectl_ran = False
                        print(f"N={n}: kubectl kustomize stopped after {options.kubectl_timeout:.0f} s on {overlay}")
                        break
                    kubectl_time += elapsed
                    kubectl_cpu += cpu
                    kubectl_peak = max(kubectl_peak, peak)
                    if output != outputs[overlay]:
                        sys.exit(f"N={n} {overlay}: sluice and kubectl outputs differ")
            print(f"N={n:>6}  input YAML {mib(yaml_bytes)}, largest output {mib(output_bytes)} ({len(overlays)} overlays)")
            print(f"  sluice render      {sluice_time:9.3f} s wall, {sluice_cpu:8.3f} s CPU   peak {mib(sluice_peak)} "
                  f"(baseline {mib(baseline)}, {(sluice_peak - baseline) / yaml_bytes:.1f}x input above it, "
                  f"{sluice_peak / yaml_bytes:.1f}x input in all)")
            if options.previous:
                print(f"  previous sluice    {previous_time:9.3f} s wall, {previous_cpu:8.3f} s CPU   peak {mib(previous_peak)} "
                      f"({previous_peak / yaml_bytes:.1f}x input in all), same output; "
                      f"peak now {sluice_peak / previous_peak:.2f}x, CPU {sluice_cpu / previous_cpu:.2f}x")
            if kubectl_ran:
                print(f"  kubectl kustomize  {kubectl_time:9.3f} s wall, {kubectl_cpu:8.3f} s CPU   peak {mib(kubectl_peak)}   outputs identical")
                print(f"  ratio              {kubectl_time / sluice_time:9.1f}x faster (wall), {kubectl_cpu / sluice_cpu:.1f}x (CPU)")
            else:
                print("  kubectl kustomize  not run to completion (see --kubectl-max-n / --kubectl-timeout)")
            results[n] = (sluice_time, sluice_cpu)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    sizes = sorted(results)
    for small, large in zip(sizes, sizes[1:]):
        print(f"sluice time grows {results[large][0] / results[small][0]:.1f}x wall, "
              f"{results[large][1] / results[small][1]:.1f}x CPU from N={small} to N={large} ({large / small:.0f}x the routes)")


if __name__ == "__main__":
    main()
