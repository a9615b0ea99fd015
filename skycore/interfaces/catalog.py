"""Catalog rows: the SkyPilot v8 ``vms.csv`` contract as a typed record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Offering:
    """One purchasable (instance type, region, zone) with its prices in USD/hour.

    Mirrors the v8 ``vms.csv`` columns: InstanceType, AcceleratorName, AcceleratorCount, vCPUs,
    MemoryGiB, GpuInfo, Price, SpotPrice, Region, AvailabilityZone. ``spot_price`` is ``None``
    where the cloud sells no spot capacity; ``zone`` is ``None`` for clouds without zones.
    """

    cloud: str
    instance_type: str
    vcpus: float
    memory_gib: float
    price: float
    region: str
    zone: str | None = None
    accelerator_name: str | None = None
    accelerator_count: float = 0.0
    spot_price: float | None = None
    gpu_info: Any = None
    #: device memory per accelerator in GiB, when known
    accelerator_memory_gib: float | None = None
