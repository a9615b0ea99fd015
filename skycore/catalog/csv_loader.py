"""Reading SkyPilot v8 ``vms.csv`` files (and plugin-computed Offerings) into :class:`Columns`.

Columns are read by header name because every cloud orders them differently; CRLF line ends
(Lambda's file) are handled by the csv module. Optional columns (Arch, LocalDiskType, ...) are
ignored. No pandas: the csv module parses GCP's 30k rows in ~35 ms, and the parsed result is
cached on disk by :mod:`skycore.catalog.cache`, so this runs once per catalog version.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from skycore import errors
from skycore.catalog.columns import NAN, Columns, ColumnsBuilder

#: v8 header -> our column; every one of them must be present (AvailabilityZone may be absent
#: for clouds without zones)
REQUIRED = ("InstanceType", "AcceleratorName", "AcceleratorCount", "vCPUs", "MemoryGiB",
            "Price", "Region")
OPTIONAL = ("GpuInfo", "SpotPrice", "AvailabilityZone")


def _number(text: str) -> float:
    if not text:
        return NAN
    try:
        return float(text)
    except ValueError:
        return NAN


def read_vms_csv(path: str | Path) -> Columns:
    """Parse one ``vms.csv``; raises :class:`~skycore.errors.SkyError` naming the file when
    the header lacks a required column."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        try:
            header = [h.strip().lstrip("\ufeff") for h in next(reader)]
        except StopIteration:
            return Columns()
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise errors.SkyError(f"Catalog {path} is not a v8 vms.csv: column(s) "
                                  f"{', '.join(missing)} missing (header: {', '.join(header)}).")
        pos = {name: header.index(name) for name in REQUIRED + OPTIONAL if name in header}
        width = len(header)
        i_type, i_acc, i_cnt = pos["InstanceType"], pos["AcceleratorName"], pos["AcceleratorCount"]
        i_cpu, i_mem, i_price, i_region = (pos["vCPUs"], pos["MemoryGiB"], pos["Price"],
                                           pos["Region"])
        i_info, i_spot, i_zone = (pos.get("GpuInfo", width), pos.get("SpotPrice", width),
                                  pos.get("AvailabilityZone", width))
        builder = ColumnsBuilder()
        add = builder.add
        for row in reader:
            if not row:
                continue
            if len(row) < width + 1:
                row = row + [""] * (width + 1 - len(row))
            acc = row[i_acc].strip()
            count = _number(row[i_cnt])
            if not acc:
                count = 0.0
            elif count != count:
                count = 1.0  # an accelerator row without a count means one device
            add(row[i_type].strip(), acc, count, _number(row[i_cpu]), _number(row[i_mem]),
                row[i_info], _number(row[i_price]), _number(row[i_spot]), row[i_region].strip(),
                row[i_zone].strip())
    return builder.build()


def from_offerings(offerings: Iterable[Any]) -> Columns:
    """Columns from a loader's :class:`~skycore.interfaces.catalog.Offering` objects."""
    builder = ColumnsBuilder()
    for o in offerings:
        spot = o.spot_price
        devmem = o.accelerator_memory_gib
        builder.add(o.instance_type, o.accelerator_name, float(o.accelerator_count or 0.0),
                    float(o.vcpus), float(o.memory_gib), None if o.gpu_info is None
                    else str(o.gpu_info), float(o.price), NAN if spot is None else float(spot),
                    o.region, o.zone, NAN if devmem is None else float(devmem))
    return builder.build()
