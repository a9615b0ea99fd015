"""API server figures: cold auto-start, warm `sky status`, status latency and throughput
(sequential and 50 concurrent clients), server memory idle and after 1000 requests.

    .venv/bin/python benchmarks/bench_api_server.py [--db postgresql]

Runs against a private SKY_HOME and a free port; stops every server it started (by PID).
A "status request" is what `sky status` does over HTTP: POST /status, then GET /api/get.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SKY = str(Path(sys.executable).with_name("sky"))

from skycore.testing.api_server import children_of, free_port, stop_server_of  # noqa: E402


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _pss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _server_pid(home: Path) -> int:
    import json

    return int(json.loads((home / "api_server" / "server.json").read_text())["pid"])


def _memory(home: Path) -> str:
    pid = _server_pid(home)
    family = [pid, *children_of(pid)]
    rss = _rss_mb(pid)
    total_pss = sum(_pss_mb(p) for p in family)
    total_rss = sum(_rss_mb(p) for p in family)
    return (f"server process RSS {rss:.0f} MB; with {len(family) - 1} helper processes "
            f"(fork server + workers): RSS sum {total_rss:.0f} MB, PSS sum {total_pss:.0f} MB")


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="skybench-"))
    home = root / "sky_home"
    port = free_port()
    env = {**os.environ, "SKY_HOME": str(home),
           "SKY_API_SERVER_ENDPOINT": f"http://127.0.0.1:{port}"}
    pg = None
    if args.db == "postgresql":
        from skycore.testing.postgres import PostgresServer

        pg = PostgresServer().start()
        env["SKY_DB"] = pg.create_database("bench")
    os.environ.update(env)
    try:
        colds = []
        for i in range(3):
            started = time.perf_counter()
            proc = subprocess.run([SKY, "status"], env=env, capture_output=True)
            colds.append(time.perf_counter() - started)
            assert proc.returncode == 0, proc.stderr.decode()
            if i < 2:
                stop_server_of(home)
        print("cold auto-start, `sky status` until its answer: median "
              f"{statistics.median(colds):.2f} s (runs {', '.join(f'{c:.2f}' for c in colds)})")
        time.sleep(1)
        print(f"idle memory: {_memory(home)}")

        warm = []
        for _ in range(10):
            started = time.perf_counter()
            subprocess.run([SKY, "status"], env=env, capture_output=True, check=True)
            warm.append(time.perf_counter() - started)
        print(f"warm `sky status` wall time (10 runs): median {statistics.median(warm):.3f} s "
              f"(min {min(warm):.3f}, max {max(warm):.3f})")

        from skycore.client import rest, sdk

        rest.close()
        sdk.get(sdk.status())
        lat = []
        begin = time.perf_counter()
        for _ in range(200):
            t = time.perf_counter()
            sdk.get(sdk.status())
            lat.append((time.perf_counter() - t) * 1000)
        elapsed = time.perf_counter() - begin
        print(f"200 sequential status requests: p50 {_pct(lat, 0.5):.1f} ms, p95 "
              f"{_pct(lat, 0.95):.1f} ms, {200 / elapsed:.0f} requests/s")

        per_client = 16
        clat: list[float] = []
        lock = threading.Lock()

        def client() -> None:
            for _ in range(per_client):
                t = time.perf_counter()
                sdk.get(sdk.status())
                with lock:
                    clat.append((time.perf_counter() - t) * 1000)

        threads = [threading.Thread(target=client) for _ in range(50)]
        begin = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - begin
        print(f"50 concurrent clients x {per_client} status requests: p50 {_pct(clat, 0.5):.1f} "
              f"ms, p95 {_pct(clat, 0.95):.1f} ms, {len(clat) / elapsed:.0f} requests/s")
        done = 200 + len(clat) + 1 + 13
        for _ in range(max(0, 1000 - done)):
            sdk.get(sdk.status())
        time.sleep(1)
        print(f"memory after 1000+ requests: {_memory(home)}")
    finally:
        stop_server_of(home)
        if pg is not None:
            pg.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
