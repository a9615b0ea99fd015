"""Launch-to-first-output of a 1-node local task, and `sky exec` latency on an UP cluster.

Prints figures; never asserts. Uses a throwaway SKY_HOME so it never touches the user's state.
Run: .venv/bin/python benchmarks/bench_local_launch.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SKY = str(Path(sys.executable).parent / "sky")


def _first_output_seconds(args: list[str], marker: str, env: dict[str, str]) -> tuple[float, float]:
    """(seconds until ``marker`` appears on stdout, seconds until the command exits)."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    first = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if first is None and marker.encode() in line:
            first = time.perf_counter() - start
    proc.wait()
    total = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed with exit code {proc.returncode}")
    return (first if first is not None else float("nan")), total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="skybench-"))
    env = dict(os.environ, SKY_HOME=str(home / "sky"), RAY_USAGE_STATS_ENABLED="0")
    cluster = "bench"
    try:
        first, total = _first_output_seconds(
            # the marker is computed by the job's shell, so the CLI's echo of the command
            # ("Command to run: ...") cannot match it
            [SKY, "launch", "-y", "-c", cluster, "echo launch-$((6*7))"], "launch-42", env)
        print(f"launch 1-node local: first output after {first:.2f} s, command done "
              f"after {total:.2f} s")
        firsts, totals = [], []
        for i in range(args.runs):
            f, t = _first_output_seconds([SKY, "exec", cluster, f"echo hi-$((1000+{i}))"],
                                         f"hi-{1000 + i}", env)
            firsts.append(f)
            totals.append(t)
        print(f"sky exec 'echo hi' ({args.runs} runs): median {statistics.median(totals):.3f} s"
              f" (min {min(totals):.3f}, max {max(totals):.3f}); first output median "
              f"{statistics.median(firsts):.3f} s")
        sys.path.insert(0, str(REPO))
        os.environ["SKY_HOME"] = env["SKY_HOME"]
        import io

        from skycore import core as sdk
        from skycore.task import Task
        sdk_times = []
        for i in range(args.runs):
            start = time.perf_counter()
            sdk.exec(Task.from_command(f"echo sdk-{i}"), cluster, out=io.BytesIO())
            sdk_times.append(time.perf_counter() - start)
        print(f"core.exec 'echo hi' in-process ({args.runs} runs): median "
              f"{statistics.median(sdk_times):.3f} s (min {min(sdk_times):.3f})")
    finally:
        subprocess.run([SKY, "down", "-y", cluster], env=env, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
