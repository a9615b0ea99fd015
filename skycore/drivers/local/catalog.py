"""Online catalog of the local driver: this machine as one instance type at price 0.

Why online: the offering *is* the machine the code runs on, so it is read at call time (CPUs,
memory, and GPUs from ``nvidia-smi`` when present) instead of shipped as a snapshot.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

from skycore.drivers.local.cloud import LOCAL_REGION
from skycore.interfaces.catalog import Offering


def _memory_gib() -> float:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / (1024 * 1024), 1)
    except OSError:
        pass
    return 4.0


def _gpus() -> tuple[str | None, int, float | None]:
    """(name, count, memory GiB per GPU) from nvidia-smi, or (None, 0, None)."""
    if not shutil.which("nvidia-smi"):
        return None, 0, None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None, 0, None
    rows = [line.split(",") for line in out.strip().splitlines() if line.strip()]
    if not rows:
        return None, 0, None
    name = _canonical_gpu_name(rows[0][0].strip())
    mem = float(rows[0][1]) / 1024 if len(rows[0]) > 1 else None
    return name, len(rows), mem


def _canonical_gpu_name(raw: str) -> str:
    """'NVIDIA H100 80GB HBM3' → 'H100' (the names SkyPilot's catalogs use)."""
    words = [w for w in raw.replace("NVIDIA", "").replace("Tesla", "").split() if w]
    return words[0] if words else raw


@functools.lru_cache(maxsize=1)
def load_offerings() -> list[Offering]:
    cpus = float(os.cpu_count() or 1)
    mem = _memory_gib()
    gpu_name, gpu_count, gpu_mem = _gpus()
    name = f"local-{int(cpus)}cpu-{int(mem)}gb"
    if gpu_name:
        name += f"-{gpu_count}x{gpu_name}"
    return [Offering(cloud="local", instance_type=name, vcpus=cpus, memory_gib=mem, price=0.0,
                     region=LOCAL_REGION, zone=None, accelerator_name=gpu_name,
                     accelerator_count=float(gpu_count), spot_price=None,
                     accelerator_memory_gib=gpu_mem)]
