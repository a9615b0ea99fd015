"""The ``aws`` test catalog, generated from moto's real EC2 instance-type data.

Why generated instead of committed: the result is ~15k rows (~2 MB) that only restate moto's
``instance_types.json.gz`` and ``instance_type_offerings/availability-zone/`` with a price model;
committing it would add megabytes that must be regenerated on every moto upgrade. Generation is
deterministic (sorted input, md5-based spot fractions, no clock, no randomness) and takes
~0.2 s; the file is written once per ``SKY_HOME`` under ``catalogs/testclouds/aws-<key>/`` where
``<key>`` hashes the model version, moto's version and the region list, and skycore's catalog
cache makes every later load a few milliseconds. ``python -m sky_testclouds.aws_catalog OUT``
writes it anywhere.

The price model is documented in README.md and implemented by :func:`on_demand_price` and
:func:`spot_price`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

#: bump when the model or the columns change (changes the cache key)
MODEL_VERSION = "1"
REGIONS = ("us-east-1", "us-east-2", "us-west-2")
REGION_FACTOR = {"us-east-1": 1.00, "us-east-2": 0.98, "us-west-2": 1.02}
PER_VCPU = 0.0316
PER_GIB = 0.0042
#: USD per device-hour
ACCELERATOR_RATE = {
    "T4": 0.35, "T4g": 0.28, "A10G": 0.75, "L4": 0.55, "L40S": 1.25, "V100": 2.48,
    "V100-32GB": 2.80, "A100": 2.75, "A100-80GB": 3.40, "H100": 6.15, "H200": 7.90,
    "B200": 11.0, "B300": 14.0, "RTXPRO4500": 0.95, "RTXPRO6000": 2.30, "Inferentia": 0.16,
    "Inferentia2": 0.25, "Trainium": 1.10, "Trainium2": 1.80, "RadeonProV520": 0.20,
    "GaudiHL-205": 1.50,
}
DEFAULT_ACCELERATOR_RATE = 1.0
SPOT_MIN, SPOT_SPAN = 0.25, 0.45
HEADER = ["InstanceType", "AcceleratorName", "AcceleratorCount", "vCPUs", "MemoryGiB",
          "GpuInfo", "Price", "SpotPrice", "Region", "AvailabilityZone", "Arch"]


def _moto_resources() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("moto")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("sky-testclouds: the aws test catalog is generated from moto's EC2 "
                           "data; install moto (pip install moto).")
    return Path(list(spec.submodule_search_locations)[0]) / "ec2" / "resources"


def _moto_version() -> str:
    from importlib.metadata import version

    return version("moto")


def accelerator_name(raw: str, memory_mib: float) -> str:
    """SkyPilot's spelling of an EC2 accelerator name."""
    name = raw.replace("RTX PRO Server", "RTX PRO").replace(" ", "")
    if name == "A100" and memory_mib >= 80 * 1024:
        return "A100-80GB"
    if name == "V100" and memory_mib >= 32 * 1024:
        return "V100-32GB"
    return name


def _accelerator(info: dict[str, Any]) -> tuple[str, float, str] | None:
    """(name, count, GpuInfo literal) of an instance type, None for CPU-only machines."""
    devices = None
    if "GpuInfo" in info:
        devices = info["GpuInfo"].get("Gpus")
    elif "NeuronInfo" in info:
        devices = info["NeuronInfo"].get("NeuronDevices")
    if not devices:
        return None
    device = devices[0]
    memory = float(device.get("MemoryInfo", {}).get("SizeInMiB", 0))
    name = accelerator_name(str(device["Name"]), memory)
    count = float(sum(d.get("Count", 0) for d in devices))
    literal = {"Gpus": [{"Name": name, "Manufacturer": device.get("Manufacturer", "AWS"),
                         "Count": count, "MemoryInfo": {"SizeInMiB": int(memory)}}],
               "TotalGpuMemoryInMiB": int(memory * count)}
    return name, count, repr(literal)


def _family_factor(info: dict[str, Any]) -> float:
    processor = info.get("ProcessorInfo", {})
    if "arm64" in processor.get("SupportedArchitectures", []):
        return 0.80  # Graviton
    if info.get("BurstablePerformanceSupported"):
        return 0.75  # t-family
    if processor.get("Manufacturer") == "AMD":
        return 0.90
    return 1.00


def on_demand_price(info: dict[str, Any], region: str) -> float:
    vcpus = float(info["VCpuInfo"]["DefaultVCpus"])
    memory = info["MemoryInfo"]["SizeInMiB"] / 1024.0
    price = vcpus * PER_VCPU + memory * PER_GIB
    acc = _accelerator(info)
    if acc is not None:
        price += ACCELERATOR_RATE.get(acc[0], DEFAULT_ACCELERATOR_RATE) * acc[1]
    return round(price * _family_factor(info) * REGION_FACTOR.get(region, 1.2), 5)


def spot_fraction(instance_type: str, zone: str) -> float:
    digest = hashlib.md5(f"{instance_type}|{zone}".encode(), usedforsecurity=False).hexdigest()
    return SPOT_MIN + SPOT_SPAN * (int(digest[:8], 16) / 0xFFFFFFFF)


def spot_price(info: dict[str, Any], region: str, zone: str) -> float | None:
    if "spot" not in info.get("SupportedUsageClasses", []):
        return None
    return round(on_demand_price(info, region) * spot_fraction(info["InstanceType"], zone), 5)


def _load_json(path: Path) -> Any:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def generate(regions: tuple[str, ...] = REGIONS) -> str:
    """The whole ``vms.csv`` text (deterministic)."""
    resources = _moto_resources()
    types: dict[str, Any] = _load_json(resources / "instance_types.json.gz")
    rows = []
    for region in regions:
        offers = _load_json(resources / "instance_type_offerings" / "availability-zone"
                            / f"{region}.json.gz")
        for offer in offers:
            name, zone = offer["InstanceType"], offer["Location"]
            info = types.get(name)
            if info is None or name.startswith("mac"):  # mac: dedicated hosts only
                continue
            rows.append((name, region, zone, info))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for name, region, zone, info in rows:
        acc = _accelerator(info)
        spot = spot_price(info, region, zone)
        arch = info.get("ProcessorInfo", {}).get("SupportedArchitectures", ["x86_64"])[0]
        writer.writerow([
            name, acc[0] if acc else "", f"{acc[1]:.1f}" if acc else "",
            f"{float(info['VCpuInfo']['DefaultVCpus']):.1f}",
            f"{info['MemoryInfo']['SizeInMiB'] / 1024.0:.3f}".rstrip("0").rstrip("."),
            acc[2] if acc else "", f"{on_demand_price(info, region):.5f}",
            "" if spot is None else f"{spot:.5f}", region, zone, arch])
    return out.getvalue()


def cache_key(regions: tuple[str, ...] = REGIONS) -> str:
    text = f"{MODEL_VERSION}|{_moto_version()}|{','.join(regions)}"
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()[:12]


def snapshot_path() -> Path:
    """The generated catalog under SKY_HOME, written on first use."""
    from skycore import paths

    target = paths.sky_home() / "catalogs" / "testclouds" / f"aws-{cache_key()}" / "vms.csv"
    if not target.exists():
        write(target)
    return target


def write(target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".vms.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(generate())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


if __name__ == "__main__":  # pragma: no cover - manual use
    write(Path(sys.argv[1]))
