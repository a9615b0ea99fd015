"""A catalog held as columns: the compact in-memory form every catalog source is turned into.

Why columns and not a list of objects: a 30k-row catalog as 30k frozen dataclasses costs ~100 ms
to build and megabytes of memory, while the queries only ever look at a few hundred rows. Here
strings are interned once (each column stores integer codes into :attr:`Columns.strings`) and
numbers live in ``array('d')`` (NaN = missing), so the whole table serializes to a handful of
byte strings that load back in a millisecond (see :mod:`skycore.catalog.cache`). Rows are kept
sorted by (on-demand price, region, zone): every filter that walks rows in order therefore
yields them cheapest first without sorting.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

NAN = float("nan")

#: integer-coded string columns
STRING_COLUMNS = ("itype", "acc", "region", "zone", "gpuinfo", "spotrank")
#: float columns (NaN where the CSV cell is empty)
FLOAT_COLUMNS = ("count", "vcpus", "mem", "price", "spot", "devmem")

_MIB = re.compile(r"""['"]SizeInMiB['"]\s*:\s*([0-9.]+)""")
_MAKER = re.compile(r"""['"]Manufacturer['"]\s*:\s*['"]([^'"]+)['"]""")


def device_memory_gib(gpu_info: str) -> float:
    """Device memory per accelerator (GiB) from a v8 ``GpuInfo`` cell, NaN when absent.

    Why a regex and not ``ast.literal_eval``: the cell is a Python literal that is evaluated for
    every GPU row in SkyPilot (the slow part of its listing); the first ``SizeInMiB`` is all we
    need. RunPod's fetcher writes gigabytes into ``SizeInMiB`` (``80`` for an A100-80GB): no
    accelerator has less than 1 GiB, so values below 1024 are read as GiB.
    """
    m = _MIB.search(gpu_info) if gpu_info else None
    if m is None:
        return NAN
    value = float(m.group(1))
    return value if value < 1024 else value / 1024.0


def manufacturer(gpu_info: str, accelerator: str) -> str:
    """Lower-case maker of an accelerator (``nvidia``, ``amd``, ``google``, ``intel``, ...)."""
    m = _MAKER.search(gpu_info) if gpu_info else None
    if m is not None:
        return m.group(1).strip().lower()
    name = accelerator.lower()
    if name.startswith("tpu"):
        return "google"
    if name.startswith(("mi", "radeon")):
        return "amd"
    if name.startswith("gaudi"):
        return "intel"
    if name.startswith(("inferentia", "trainium")):
        return "aws"
    return "nvidia"


def is_missing(value: float) -> bool:
    return value != value  # NaN


@dataclass
class Columns:
    """Rows of one cloud's catalog, column-wise; row ``i`` is the i-th element of each column."""

    strings: list[str] = field(default_factory=lambda: [""])
    itype: array = field(default_factory=lambda: array("i"))
    acc: array = field(default_factory=lambda: array("i"))
    region: array = field(default_factory=lambda: array("i"))
    zone: array = field(default_factory=lambda: array("i"))
    gpuinfo: array = field(default_factory=lambda: array("i"))
    #: position of each row in (spot price, region, zone) order, rows without spot last
    spotrank: array = field(default_factory=lambda: array("i"))
    count: array = field(default_factory=lambda: array("d"))
    vcpus: array = field(default_factory=lambda: array("d"))
    mem: array = field(default_factory=lambda: array("d"))
    price: array = field(default_factory=lambda: array("d"))
    spot: array = field(default_factory=lambda: array("d"))
    devmem: array = field(default_factory=lambda: array("d"))

    def __len__(self) -> int:
        return len(self.price)

    # ------------------------------------------------------------------ serialization
    def to_parts(self) -> tuple[list[str], dict[str, bytes]]:
        data = {name: getattr(self, name).tobytes() for name in STRING_COLUMNS + FLOAT_COLUMNS}
        return list(self.strings), data

    @classmethod
    def from_parts(cls, strings: list[str], data: dict[str, bytes]) -> Columns:
        cols = cls(strings=list(strings))
        for name in STRING_COLUMNS + FLOAT_COLUMNS:
            column = getattr(cols, name)
            column.frombytes(data[name])
        return cols


class ColumnsBuilder:
    """Appends rows, interning strings; :meth:`build` sorts them cheapest first."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {"": 0}
        self._strings: list[str] = [""]
        self._rows: list[tuple[Any, ...]] = []
        self._devmem: dict[str, float] = {}

    def code(self, text: str | None) -> int:
        if not text:
            return 0
        code = self._codes.get(text)
        if code is None:
            code = self._codes[text] = len(self._strings)
            self._strings.append(text)
        return code

    def add(self, instance_type: str | None, accelerator: str | None, count: float,
            vcpus: float, memory: float, gpu_info: str | None, price: float, spot: float,
            region: str | None, zone: str | None, device_memory: float | None = None) -> None:
        info = gpu_info or ""
        if device_memory is None or is_missing(device_memory):
            device_memory = self._devmem.get(info)
            if device_memory is None:
                device_memory = self._devmem[info] = device_memory_gib(info)
        self._rows.append((price, self.code(region), self.code(zone), self.code(instance_type),
                           self.code(accelerator), count, vcpus, memory, spot,
                           self.code(info), device_memory))

    def build(self) -> Columns:
        strings = self._strings
        nan_last = math.inf
        self._rows.sort(key=lambda r: (r[0] if r[0] == r[0] else nan_last,
                                       strings[r[1]], strings[r[2]]))
        cols = Columns(strings=strings)
        if not self._rows:
            return cols
        (price, region, zone, itype, acc, count, vcpus, mem, spot, info,
         devmem) = zip(*self._rows, strict=True)
        cols.price.extend(price)
        cols.region.extend(region)
        cols.zone.extend(zone)
        cols.itype.extend(itype)
        cols.acc.extend(acc)
        cols.count.extend(count)
        cols.vcpus.extend(vcpus)
        cols.mem.extend(mem)
        cols.spot.extend(spot)
        cols.gpuinfo.extend(info)
        cols.devmem.extend(devmem)
        order = sorted(range(len(spot)), key=lambda i: (
            spot[i] if spot[i] == spot[i] else nan_last, strings[region[i]], strings[zone[i]]))
        rank = [0] * len(order)
        for position, i in enumerate(order):
            rank[i] = position
        cols.spotrank.extend(rank)
        return cols


def concat(parts: Iterable[Columns]) -> Columns:
    """One table from several (a cloud whose rows come from several catalog specs)."""
    parts = [p for p in parts if len(p)]
    if len(parts) == 1:
        return parts[0]
    builder = ColumnsBuilder()
    for p in parts:
        s = p.strings
        for i in range(len(p)):
            builder.add(s[p.itype[i]], s[p.acc[i]], p.count[i], p.vcpus[i], p.mem[i],
                        s[p.gpuinfo[i]], p.price[i], p.spot[i], s[p.region[i]], s[p.zone[i]],
                        p.devmem[i])
    return builder.build()
