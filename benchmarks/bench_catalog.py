"""Catalog engine figures over the sky-testclouds catalogs. Prints figures; asserts nothing.

* cold parse of each catalog with the csv module (no cache), per cloud;
* cold process load of all test catalogs: first ever (parse + write cache) and from the on-disk
  cache, each in a fresh interpreter (includes plugin discovery);
* in-process warm query: median of N ``feasible`` calls for A100:8, H100:8 spot, T4:1 and a CPU
  task, per cloud, and once for all four clouds.

Usage: SKYCORE_TESTCLOUDS=1 python benchmarks/bench_catalog.py [-n RUNS]
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

CLOUDS = ("gcp", "aws", "runpod", "lambda")
_LOAD = (
    "import time; t=time.perf_counter();"
    "from skycore.catalog import query;"
    "n=sum(len(query.table(c)) for c in {clouds!r});"
    "print(n, (time.perf_counter()-t)*1e3)"
)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.2f} ms"


def cold_loads(home: Path) -> None:
    env = {**os.environ, "SKY_HOME": str(home), "SKYCORE_TESTCLOUDS": "1"}
    code = _LOAD.format(clouds=CLOUDS)
    for label in ("first load (parse + write cache)", "cold process, cache present",
                  "cold process, cache present (again)"):
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout.split()
        print(f"  {label:40s} {float(out[1]):8.1f} ms for {int(out[0]):,} rows")


def parse_costs() -> None:
    from sky_testclouds import aws_catalog, data

    from skycore.catalog.csv_loader import read_vms_csv

    for cloud, path in (("gcp", data.gcp_csv()), ("runpod", data.runpod_csv()),
                        ("lambda", data.lambda_csv()), ("aws", aws_catalog.snapshot_path())):
        t = time.perf_counter()
        n = len(read_vms_csv(path))
        print(f"  csv parse {cloud:8s} {n:7,d} rows {_ms(time.perf_counter() - t)}")


def warm_queries(runs: int) -> None:
    from skycore.catalog import query
    from skycore.plugins import get_manager
    from skycore.resources import Resources

    manager = get_manager()
    requests = {"A100:8": Resources(accelerators={"A100": 8}),
                "H100:8 spot": Resources(accelerators={"H100": 8}, use_spot=True),
                "T4:1": Resources(accelerators={"T4": 1}),
                "cpus 8+ (all rows)": Resources(cpus="8+")}
    for label, resources in requests.items():
        per_cloud = []
        for cloud in CLOUDS:
            obj = manager.cloud(cloud)
            query.feasible(obj, resources)  # first call builds the lazy indexes
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                query.feasible(obj, resources)
                times.append(time.perf_counter() - t)
            per_cloud.append(statistics.median(times))
        print(f"  feasible {label:20s} all 4 clouds {_ms(sum(per_cloud))}  "
              + "  ".join(f"{c}={t * 1e3:.2f}" for c, t in zip(CLOUDS, per_cloud, strict=True)))
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        for cloud in CLOUDS:
            query.feasible(manager.cloud(cloud), Resources(cpus="8+"), limit_types=1)
        times.append(time.perf_counter() - t)
    print(f"  feasible cpus 8+ limit_types=1, all 4 clouds {_ms(statistics.median(times))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-catalog-") as tmp:
        home = Path(tmp) / "sky_home"
        os.environ["SKY_HOME"] = str(home)
        os.environ["SKYCORE_TESTCLOUDS"] = "1"
        print("Cold loads (fresh interpreters):")
        cold_loads(home)
        print("Parse costs (csv module, no cache):")
        parse_costs()
        print(f"Warm queries (median of {args.runs}):")
        warm_queries(args.runs)


if __name__ == "__main__":
    main()
