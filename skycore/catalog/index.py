"""One cloud's catalog, indexed for the questions the optimizer and ``sky gpus list`` ask.

Indexes (built in one pass over the columns, a few ms for 30k rows):

* by canonical accelerator name -> row ids, cheapest first (a GPU request touches only the rows
  of that GPU);
* CPU-only rows, cheapest first (a CPU request never looks at GPU machines first);
* by instance type -> row ids (a dict hit), built on first use;
* (instance type, region, zone) -> cheapest row, for pairing attachable accelerators with hosts.

:class:`~skycore.interfaces.catalog.Offering` objects are built only for rows a query returns,
and memoized, so a repeated query costs the filter and nothing else.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Callable, Sequence
from typing import Any

from skycore.catalog.columns import Columns, is_missing
from skycore.interfaces.catalog import Offering

AttachRule = Callable[[str, float], Sequence[str]]


def _opt(value: float) -> float | None:
    return None if value != value else value


class CatalogTable:
    """Rows of one cloud (``columns`` sorted by on-demand price) plus their indexes."""

    def __init__(self, cloud: str, columns: Columns, attach: AttachRule | None = None) -> None:
        self.cloud = cloud
        self.columns = columns
        self.attach = attach
        s = columns.strings
        acc_rows: dict[str, list[int]] = {}
        cpu_rows: list[int] = []
        attachable: set[str] = set()
        acc, itype = columns.acc, columns.itype
        for i in range(len(columns)):
            a = acc[i]
            if a:
                name = s[a]
                bucket = acc_rows.get(name)
                if bucket is None:
                    bucket = acc_rows[name] = []
                bucket.append(i)
                if not itype[i]:
                    attachable.add(name)
            elif itype[i]:
                cpu_rows.append(i)
        self.acc_rows = acc_rows
        #: lower-case name -> canonical spelling
        self.acc_names = {name.lower(): name for name in acc_rows}
        self.attachable = attachable
        self._lock = threading.Lock()
        self._offerings: dict[int, Offering] = {}
        self._combined: dict[tuple[int, int], Offering] = {}
        self._type_rows: dict[str, list[int]] | None = None
        self._host_rows: dict[tuple[int, int, int], int] | None = None
        self._codes: dict[str, int] = {}
        self._itypes: set[int] | None = None
        self._all_hosts: set[str] = set()
        self._hosts: dict[tuple[str, float], tuple[str, ...]] = {}
        fixed = self._fixed_hosts()
        # a machine that only exists to carry a fixed accelerator (GCP's a2-highgpu-8g without
        # its GPUs) is no CPU offering
        self.cpu_rows = [i for i in cpu_rows if s[itype[i]] not in fixed] if fixed else cpu_rows

    def __len__(self) -> int:
        return len(self.columns)

    # ------------------------------------------------------------------ lookups
    def string(self, code: int) -> str:
        return self.columns.strings[code]

    def code_of(self, text: str) -> int | None:
        """The string code of ``text`` in this table, None when no row mentions it."""
        if not self._codes:
            self._codes = {t: code for code, t in enumerate(self.columns.strings)}
        return self._codes.get(text)

    def type_rows(self, instance_type: str) -> list[int]:
        """Row ids of one instance type (all regions/zones), cheapest first."""
        with self._lock:
            if self._type_rows is None:
                rows: dict[str, list[int]] = {}
                s, itype = self.columns.strings, self.columns.itype
                for i in range(len(self.columns)):
                    if itype[i]:
                        rows.setdefault(s[itype[i]], []).append(i)
                self._type_rows = rows
        return self._type_rows.get(instance_type, [])

    def instance_types(self) -> list[str]:
        self.type_rows("")
        assert self._type_rows is not None
        return sorted(self._type_rows)

    def host_row(self, host: str, region: int, zone: int) -> int | None:
        """Cheapest row of ``host`` in that region and zone (codes), None when not offered."""
        code = self.code_of(host)
        if code is None:
            return None
        with self._lock:
            if self._host_rows is None:
                hosts = {self.code_of(h) for h in self._all_hosts} - {None}
                index: dict[tuple[int, int, int], int] = {}
                c = self.columns
                itype, acc = c.itype, c.acc
                for i in range(len(c)):
                    if itype[i] in hosts and not acc[i]:
                        index.setdefault((itype[i], c.region[i], c.zone[i]), i)
                self._host_rows = index
        return self._host_rows.get((code, region, zone))

    def has_type(self, instance_type: str) -> bool:
        """Whether any row names this instance type (a host without rows is a free one)."""
        code = self.code_of(instance_type)
        return code is not None and code in self._itype_codes()

    def _itype_codes(self) -> set[int]:
        if self._itypes is None:
            self._itypes = set(self.columns.itype)
        return self._itypes

    def spot_rank(self) -> array:
        """Position of every row in (spot price, region, zone) order (for sorting row ids)."""
        return self.columns.spotrank

    def hosts_for(self, accelerator: str, count: float) -> tuple[str, ...]:
        """Host instance types that can carry an attachable accelerator (the plugin's rule)."""
        key = (accelerator, count)
        hosts = self._hosts.get(key)
        if hosts is None:
            hosts = ()
            if self.attach is not None:
                n = int(count) if float(count).is_integer() else count
                hosts = tuple(self.attach(accelerator, n) or ())
            self._hosts[key] = hosts
        return hosts

    def _fixed_hosts(self) -> set[str]:
        if self.attach is None or not self.attachable:
            return set()
        fixed: set[str] = set()
        c = self.columns
        seen: set[tuple[str, float]] = set()
        for name in self.attachable:
            for i in self.acc_rows[name]:
                key = (name, c.count[i])
                if key in seen or c.itype[i]:
                    continue
                seen.add(key)
                hosts = self.hosts_for(*key)
                self._all_hosts.update(hosts)
                if len(hosts) == 1:
                    fixed.add(hosts[0])
        return fixed

    # ------------------------------------------------------------------ regions
    def regions(self) -> dict[str, list[str]]:
        """Region -> its zones (sorted), as the catalog knows them."""
        c, s = self.columns, self.columns.strings
        found: dict[str, set[str]] = {}
        for i in range(len(c)):
            zones = found.setdefault(s[c.region[i]], set())
            if c.zone[i]:
                zones.add(s[c.zone[i]])
        return {r: sorted(z) for r, z in sorted(found.items()) if r}

    def accelerator_counts(self) -> dict[str, list[float]]:
        c = self.columns
        return {name: sorted({c.count[i] for i in rows}) for name, rows in self.acc_rows.items()}

    # ------------------------------------------------------------------ offerings
    def offering(self, i: int) -> Offering:
        """The Offering of row ``i`` (memoized)."""
        found = self._offerings.get(i)
        if found is None:
            c, s = self.columns, self.columns.strings
            info = s[c.gpuinfo[i]]
            found = Offering(
                cloud=self.cloud, instance_type=s[c.itype[i]], vcpus=_num(c.vcpus[i]),
                memory_gib=_num(c.mem[i]), price=_num(c.price[i]), region=s[c.region[i]],
                zone=s[c.zone[i]] or None, accelerator_name=s[c.acc[i]] or None,
                accelerator_count=_num(c.count[i]), spot_price=_opt(c.spot[i]),
                gpu_info=info or None, accelerator_memory_gib=_opt(c.devmem[i]))
            self._offerings[i] = found
        return found

    def combined(self, acc_row: int, host_row: int | None, host: str) -> Offering:
        """An attachable accelerator row on its host: shape of the host, prices added.

        ``host_row`` None: a host without catalog rows (free and shapeless, e.g. ``TPU-VM``).
        """
        key = (acc_row, -1 if host_row is None else host_row)
        found = self._combined.get(key)
        if found is None:
            c, s = self.columns, self.columns.strings
            info = s[c.gpuinfo[acc_row]]
            price, spot = c.price[acc_row], c.spot[acc_row]
            vcpus, mem = c.vcpus[acc_row], c.mem[acc_row]
            if host_row is not None:
                price += c.price[host_row]
                spot += c.spot[host_row]  # NaN when either has no spot price
                vcpus, mem = c.vcpus[host_row], c.mem[host_row]
            found = Offering(
                cloud=self.cloud, instance_type=host, vcpus=_num(vcpus), memory_gib=_num(mem),
                price=round(price, 6), region=s[c.region[acc_row]],
                zone=s[c.zone[acc_row]] or None, accelerator_name=s[c.acc[acc_row]],
                accelerator_count=_num(c.count[acc_row]),
                spot_price=None if is_missing(spot) else round(spot, 6),
                gpu_info=info or None, accelerator_memory_gib=_opt(c.devmem[acc_row]))
            self._combined[key] = found
        return found

    def host_prices(self, acc_row: int, host_row: int | None) -> tuple[float, float]:
        """(price, spot price) of an accelerator row on a host row, NaN spot when unsold."""
        c = self.columns
        if host_row is None:
            return c.price[acc_row], c.spot[acc_row]
        return c.price[acc_row] + c.price[host_row], c.spot[acc_row] + c.spot[host_row]


def _num(value: float) -> float:
    return 0.0 if value != value else value


def describe(table: CatalogTable) -> dict[str, Any]:
    """Sizes, for benchmarks and debugging."""
    return {"cloud": table.cloud, "rows": len(table), "accelerators": len(table.acc_rows),
            "cpu_rows": len(table.cpu_rows), "attachable": sorted(table.attachable)}
