"""Wall time of ``sky gpus list`` over the sky-testclouds catalogs. Prints figures; asserts
nothing.

Runs the real ``sky`` console script in fresh processes against an isolated SKY_HOME whose local
API server is auto-started (once, before timing) with the test clouds enabled, so the figures
are what a user sees with a warm server: ``sky gpus list``, ``sky gpus list A100`` and
``sky gpus list --all``. The server is stopped by PID at the end.

Usage: python benchmarks/bench_gpus_list.py [-n RUNS]
Requires: pip install -e tests/plugin_fixtures/sky_testclouds
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=10)
    args = parser.parse_args()
    from skycore.testing.api_server import free_port, stop_server_of

    sky = str(Path(sys.executable).with_name("sky"))
    with tempfile.TemporaryDirectory(prefix="bench-gpus-") as tmp:
        home = Path(tmp) / "sky_home"
        env = {**os.environ, "SKY_HOME": str(home), "SKYCORE_TESTCLOUDS": "1",
               "SKYPILOT_API_SERVER_LOCAL_PORT": str(free_port())}
        try:
            t = time.perf_counter()
            subprocess.run([sky, "gpus", "list"], env=env, check=True, capture_output=True)
            print(f"first run (starts the server, loads catalogs): "
                  f"{time.perf_counter() - t:.2f} s")
            for argv in (["gpus", "list"], ["gpus", "list", "A100"], ["gpus", "list", "--all"],
                         ["gpus", "list", "H100:8", "--all-regions"]):
                times = []
                for _ in range(args.runs):
                    t = time.perf_counter()
                    subprocess.run([sky, *argv], env=env, check=True, capture_output=True)
                    times.append(time.perf_counter() - t)
                print(f"sky {' '.join(argv):32s} median {statistics.median(times) * 1e3:7.1f} ms"
                      f"  (min {min(times) * 1e3:.1f}, max {max(times) * 1e3:.1f}, "
                      f"n={args.runs})")
        finally:
            stop_server_of(home)


if __name__ == "__main__":
    main()
