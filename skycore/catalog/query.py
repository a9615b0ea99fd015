"""Offerings of every installed cloud and the feasibility filter over them.

Catalog rows come from the plugins' ``CatalogSpec``s (see :mod:`skycore.catalog.sources`), are
loaded lazily per cloud (only clouds that are queried) and indexed once per process
(:mod:`skycore.catalog.index`). The filter implements SkyPilot's request semantics
(``sky/catalog/common.py``):

* accelerators: exact name, case-insensitive (canonicalized), count within +-0.01; a GPU-memory
  request (``80GB+``, ``nvidia:40GB``) matches the device memory instead of the name;
* cpus ``"N"`` exactly N, ``"N+"`` at least N; memory ``"N"``, ``"N+"`` or ``"Nx"`` (at least N GiB
  per vCPU);
* region / zone exact; spot uses SpotPrice and skips rows that sell no spot capacity;
  ``max_hourly_cost`` caps the price that applies;
* results are sorted by (price, region, zone): regions are cheapest first, which fixes the
  failover order.

When nothing matches, :func:`suggest` gives SkyPilot's fuzzy candidates (``"A100-80GB:8"``) and
:func:`hints` the human sentences (``Did you mean 'H100'?``, add ``+``) for the optimizer's error.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

from skycore import errors
from skycore.catalog import accelerators
from skycore.catalog.columns import is_missing, manufacturer
from skycore.catalog.index import CatalogTable
from skycore.interfaces.catalog import Offering

_tables: dict[str, CatalogTable] = {}
_offerings: dict[str, list[Offering]] = {}
_lock = threading.Lock()
_cloud_locks: dict[str, threading.Lock] = {}

_EPS = 1e-6


# ----------------------------------------------------------------------------- tables
def _canonical_cloud(cloud: str) -> str:
    from skycore.plugins import get_manager

    return get_manager().resolve_cloud_name(cloud)


def table(cloud: str) -> CatalogTable:
    """The indexed catalog of ``cloud`` (any accepted name), loaded on first use."""
    name = _canonical_cloud(cloud)
    found = _tables.get(name)
    if found is not None:
        return found
    with _lock:
        cloud_lock = _cloud_locks.setdefault(name, threading.Lock())
    with cloud_lock:  # one build per cloud; other clouds load in parallel
        found = _tables.get(name)
        if found is None:
            from skycore.catalog.sources import build_table

            found = build_table(name)
            accelerators.register(found.acc_rows)
            _tables[name] = found
    return found


def loaded_clouds() -> list[str]:
    return sorted(_tables)


def clear_cache() -> None:
    """Forget every loaded catalog (the next query reloads from the plugins' specs)."""
    with _lock:
        _tables.clear()
        _offerings.clear()
        _cloud_locks.clear()
    accelerators.reset()


def offerings(cloud: str) -> list[Offering]:
    """Every launchable offering of ``cloud``, cheapest first (loaded once per process).

    Attachable accelerator rows (no instance type of their own) appear on their cheapest host,
    as :func:`feasible` would place them; prefer :func:`feasible`, which touches only the rows
    a request can use.
    """
    name = _canonical_cloud(cloud)
    found = _offerings.get(name)
    if found is not None:
        return found
    t = table(name)
    c = t.columns
    rows: list[tuple[tuple[float, str, str], Offering]] = []
    for i in range(len(t)):
        if c.itype[i]:
            o = t.offering(i)
            rows.append(((o.price, o.region, o.zone or ""), o))
    if t.attachable:
        from skycore.plugins import get_manager

        cloud_obj = get_manager().cloud(name)
        for acc_name in sorted(t.attachable):
            for count in sorted({c.count[i] for i in t.acc_rows[acc_name] if not c.itype[i]}):
                req = Request(acc_name=acc_name, acc_count=count)
                for o in _accelerator_rows(t, req, cloud_obj, attach_only=True):
                    rows.append(((o.price, o.region, o.zone or ""), o))
    rows.sort(key=lambda r: r[0])
    result = [o for _, o in rows]
    _offerings[name] = result
    return result


# ----------------------------------------------------------------------------- requests
def parse_amount(value: Any, field: str) -> tuple[float, str]:
    """``"4"`` → (4, "exact"), ``"4+"`` → (4, "min"), ``"2x"`` → (2, "per_cpu")."""
    text = str(value).strip()
    mode = "exact"
    if text.endswith("+"):
        mode, text = "min", text[:-1]
    elif text.lower().endswith("x"):
        mode, text = "per_cpu", text[:-1]
    try:
        return float(text), mode
    except ValueError:
        raise errors.TaskValidationError("expected a number, optionally followed by '+'.",
                                         field=field, value=value) from None


def _matches(amount: float, mode: str, actual: float, vcpus: float) -> bool:
    if mode == "exact":
        return abs(actual - amount) < _EPS
    if mode == "min":
        return actual >= amount - _EPS
    return actual >= amount * vcpus - _EPS


def price_of(offering: Offering, use_spot: bool) -> float | None:
    return offering.spot_price if use_spot else offering.price


@dataclass(frozen=True)
class Request:
    """A resources request, parsed once (what :func:`feasible` filters with)."""

    acc_name: str | None = None
    acc_count: float = 1.0
    #: GPU-memory request: (manufacturer or None, GiB, at_least)
    acc_memory: tuple[str | None, float, bool] | None = None
    instance_type: str | None = None
    region: str | None = None
    zone: str | None = None
    cpus: tuple[float, str] | None = None
    memory: tuple[float, str] | None = None
    use_spot: bool = False
    max_cost: float | None = None
    #: the cloud's default shape, for hosts chosen from a family (attachable accelerators)
    default_cpus: tuple[float, str] | None = None
    default_memory: tuple[float, str] | None = None


def request_of(cloud_obj: Any, resources: Any) -> Request:
    cpus = getattr(resources, "cpus", None)
    memory = getattr(resources, "memory", None)
    accs = getattr(resources, "accelerators", None) or {}
    instance_type = getattr(resources, "instance_type", None)
    default_cpus = getattr(cloud_obj, "default_cpus", None)
    default_memory = getattr(cloud_obj, "default_memory", None)
    if not (cpus or memory or instance_type or accs):
        cpus, memory = default_cpus, default_memory
    acc_name, acc_count = next(iter(accs.items())) if accs else (None, 1.0)
    acc_memory = None
    if acc_name is not None:
        memory_filter = getattr(resources, "accelerator_memory_filter", None)
        acc_memory = memory_filter() if callable(memory_filter) else None
        if acc_memory is None:
            acc_memory = _memory_spec(str(acc_name))
    max_cost = getattr(resources, "max_hourly_cost", None)
    return Request(
        acc_name=None if acc_name is None else str(acc_name),
        acc_count=float(acc_count if acc_count is not None else 1.0),
        acc_memory=acc_memory, instance_type=instance_type or None,
        region=getattr(resources, "region", None) or None,
        zone=getattr(resources, "zone", None) or None,
        cpus=parse_amount(cpus, "resources.cpus") if cpus else None,
        memory=parse_amount(memory, "resources.memory") if memory else None,
        use_spot=bool(getattr(resources, "use_spot", False)),
        max_cost=None if max_cost is None else float(max_cost),
        default_cpus=parse_amount(default_cpus, "cpus") if default_cpus else None,
        default_memory=parse_amount(default_memory, "memory") if default_memory else None)


def _memory_spec(name: str) -> tuple[str | None, float, bool] | None:
    """``'80GB+'`` / ``'nvidia:40GB'`` for objects without ``accelerator_memory_filter``."""
    maker, _, memory = name.rpartition(":")
    text = memory.strip().upper()
    at_least = text.endswith("+")
    text = text.rstrip("+")
    if not text.endswith("GB"):
        return None
    try:
        return (maker.lower() or None), float(text[:-2]), at_least
    except ValueError:
        return None


# ----------------------------------------------------------------------------- feasibility
def feasible(cloud_obj: Any, resources: Any, *, limit_types: int | None = None
             ) -> list[Offering]:
    """Offerings of the cloud that satisfy ``resources``, cheapest first.

    Sorted by (price, region, zone), spot price for spot requests. A CPU-only request prefers
    CPU-only machines and falls back to GPU machines only when no CPU machine fits.
    ``limit_types=k`` keeps only the rows (every region/zone) of the k cheapest instance types:
    what an optimizer that expands the cheapest type per cloud needs, without building an
    Offering for each of the ~20k rows a broad CPU request matches.
    """
    t = table(cloud_obj.name)
    return feasible_request(t, request_of(cloud_obj, resources), cloud_obj,
                            limit_types=limit_types)


def feasible_request(t: CatalogTable, req: Request, cloud_obj: Any = None, *,
                     limit_types: int | None = None) -> list[Offering]:
    """:func:`feasible` for an already parsed :class:`Request`."""
    if req.acc_name is not None:
        found = _accelerator_rows(t, req, cloud_obj)
        if limit_types is not None:
            keep = _first_distinct([o.instance_type for o in found], limit_types)
            found = [o for o in found if o.instance_type in keep]
        return found
    if req.instance_type:
        ids = _filter(t, t.type_rows(req.instance_type), req)
    else:
        ids = _filter(t, t.cpu_rows, req)
        if not ids:
            c = t.columns
            ids = _filter(t, [i for i in range(len(t)) if c.itype[i] and c.acc[i]], req)
    if req.use_spot:
        rank = t.spot_rank()
        ids.sort(key=rank.__getitem__)
    if limit_types is not None:
        itype = t.columns.itype
        keep = _first_distinct([itype[i] for i in ids], limit_types)
        ids = [i for i in ids if itype[i] in keep]
    return [t.offering(i) for i in ids]


def _first_distinct(values: list[Any], k: int) -> set[Any]:
    keep: dict[Any, None] = {}
    for value in values:
        if len(keep) >= k:
            break
        keep.setdefault(value)
    return set(keep)


def _filter(t: CatalogTable, rows: list[int], req: Request) -> list[int]:
    """Row ids (in ``rows`` order) that pass the location, shape and price filters."""
    c, codes = t.columns, _codes(t, req)
    if codes is None:
        return []
    region_code, zone_code = codes
    vcpus_col, mem_col = c.vcpus, c.mem
    prices = c.spot if req.use_spot else c.price
    cpus, memory, max_cost = req.cpus, req.memory, req.max_cost
    out = []
    for i in rows:
        if region_code is not None and c.region[i] != region_code:
            continue
        if zone_code is not None and c.zone[i] != zone_code:
            continue
        price = prices[i]
        if price != price or (max_cost is not None and price > max_cost + _EPS):
            continue
        if cpus is not None and not _matches(cpus[0], cpus[1], vcpus_col[i], vcpus_col[i]):
            continue
        if memory is not None and not _matches(memory[0], memory[1], mem_col[i], vcpus_col[i]):
            continue
        out.append(i)
    return out


def _codes(t: CatalogTable, req: Request) -> tuple[int | None, int | None] | None:
    """String codes of the requested region/zone; None when the catalog has no such place."""
    region_code = zone_code = None
    if req.region:
        region_code = t.code_of(req.region)
        if region_code is None:
            return None
    if req.zone:
        zone_code = t.code_of(req.zone)
        if zone_code is None:
            return None
    return region_code, zone_code


def _accelerator_names(t: CatalogTable, req: Request) -> list[str]:
    if req.acc_memory is not None:
        return sorted(t.acc_rows)
    assert req.acc_name is not None
    name = t.acc_names.get(req.acc_name.strip().lower())
    return [name] if name else []


def _accelerator_rows(t: CatalogTable, req: Request, cloud_obj: Any,
                      attach_only: bool = False) -> list[Offering]:
    c, s = t.columns, t.columns.strings
    codes = _codes(t, req)
    if codes is None:
        return []
    region_code, zone_code = codes
    found: list[tuple[tuple[float, str, str], Offering]] = []
    for name in _accelerator_names(t, req):
        for i in t.acc_rows[name]:
            if abs(c.count[i] - req.acc_count) > 0.01:
                continue
            if region_code is not None and c.region[i] != region_code:
                continue
            if zone_code is not None and c.zone[i] != zone_code:
                continue
            if req.acc_memory is not None and not _device_memory_ok(t, i, req.acc_memory):
                continue
            if c.itype[i]:
                if attach_only or not _plain_ok(t, i, req):
                    continue
                o = t.offering(i)
            else:
                o = _on_host(t, i, req)
                if o is None:
                    continue
            price = o.spot_price if req.use_spot else o.price
            assert price is not None
            found.append(((price, s[c.region[i]], s[c.zone[i]]), o))
    found.sort(key=lambda item: item[0])
    return [o for _, o in found]


def _plain_ok(t: CatalogTable, i: int, req: Request) -> bool:
    c = t.columns
    if req.instance_type and t.string(c.itype[i]) != req.instance_type:
        return False
    price = c.spot[i] if req.use_spot else c.price[i]
    if price != price or (req.max_cost is not None and price > req.max_cost + _EPS):
        return False
    if req.cpus is not None and not _matches(*req.cpus, c.vcpus[i], c.vcpus[i]):
        return False
    return req.memory is None or _matches(*req.memory, c.mem[i], c.vcpus[i])


def _device_memory_ok(t: CatalogTable, i: int, spec: tuple[str | None, float, bool]) -> bool:
    c = t.columns
    maker, gib, at_least = spec
    devmem = c.devmem[i]
    if is_missing(devmem):
        return False
    if not (devmem >= gib - 0.5 if at_least else abs(devmem - gib) < 0.5):
        return False
    return maker is None or manufacturer(t.string(c.gpuinfo[i]),
                                         t.string(c.acc[i])) == maker.lower()


def _on_host(t: CatalogTable, i: int, req: Request) -> Offering | None:
    """An attachable accelerator row on the cheapest host that fits the request, or None."""
    c = t.columns
    hosts = t.hosts_for(t.string(c.acc[i]), c.count[i])
    if not hosts:
        return None
    cpus, memory = req.cpus, req.memory
    if len(hosts) > 1 and cpus is None and memory is None:
        cpus, memory = req.default_cpus, req.default_memory
    best: tuple[float, int | None, str] | None = None
    for host in hosts:
        if req.instance_type and host != req.instance_type:
            continue
        host_row = t.host_row(host, c.region[i], c.zone[i])
        if host_row is None:
            if t.has_type(host):
                continue  # a real host type, just not offered in this zone
            vcpus, mem = c.vcpus[i], c.mem[i]  # a free, shapeless host (TPU-VM)
        else:
            vcpus, mem = c.vcpus[host_row], c.mem[host_row]
        if cpus is not None and not is_missing(vcpus) and not _matches(*cpus, vcpus, vcpus):
            continue
        if memory is not None and not is_missing(mem) and not _matches(*memory, mem, vcpus):
            continue
        price, spot = t.host_prices(i, host_row)
        value = spot if req.use_spot else price
        if value != value or (req.max_cost is not None and value > req.max_cost + _EPS):
            continue
        if best is None or value < best[0]:
            best = (value, host_row, host)
    if best is None:
        return None
    return t.combined(i, best[1], best[2])


# ----------------------------------------------------------------------------- suggestions
def _format_count(count: float) -> str:
    return str(int(count)) if float(count).is_integer() else f"{count:.2f}"


def suggest(cloud_obj: Any, resources: Any) -> list[str]:
    """SkyPilot's fuzzy candidates when an accelerator request matches nothing by name and
    count: names *containing* the request with a count >= the requested one, as
    ``"Name:count"``, cheapest first (e.g. ``A100:3`` -> ``["A100:4", "A100-80GB:4", ...]``).

    Empty when the request has no accelerator or does match by name and count (then the
    cpus/memory/price filters are what excluded it: see :func:`hints`).
    """
    req = request_of(cloud_obj, resources)
    if req.acc_name is None or req.acc_memory is not None:
        return []
    t = table(cloud_obj.name)
    return _fuzzy(t, req)


def _fuzzy(t: CatalogTable, req: Request) -> list[str]:
    assert req.acc_name is not None
    c = t.columns
    key = req.acc_name.strip().lower()
    exact = t.acc_names.get(key)
    codes = _codes(t, req)
    if codes is None:
        return []
    region_code, zone_code = codes

    def placed(i: int) -> bool:
        return ((region_code is None or c.region[i] == region_code)
                and (zone_code is None or c.zone[i] == zone_code))

    if exact and any(abs(c.count[i] - req.acc_count) <= 0.01 and placed(i)
                     for i in t.acc_rows[exact]):
        return []
    candidates: list[tuple[float, str, float]] = []
    for name, rows in t.acc_rows.items():
        if key not in name.lower():
            continue
        for i in rows:
            if c.count[i] >= req.acc_count and placed(i):
                candidates.append((c.price[i], name, c.count[i]))
    candidates.sort(key=lambda x: x[0] if x[0] == x[0] else float("inf"))
    seen: dict[str, None] = {}
    for _, name, count in candidates:
        seen.setdefault(f"{name}:{_format_count(count)}")
    return list(seen)


def hints(cloud_obj: Any, resources: Any) -> list[str]:
    """Sentences explaining an empty :func:`feasible` result and how to fix the request.

    * an accelerator no catalog knows: ``Did you mean 'H100'?``;
    * fuzzy candidates: ``Did you mean: A100:8, A100-80GB:8?``;
    * an exact cpus/memory request that only an ``N+`` would satisfy: add ``+``.
    """
    t = table(cloud_obj.name)
    req = request_of(cloud_obj, resources)
    out: list[str] = []
    if req.acc_name is not None and req.acc_memory is None:
        name = req.acc_name.strip()
        if t.acc_names.get(name.lower()) is None and accelerators.canonical(name) is None:
            close = accelerators.did_you_mean(name, list(t.acc_rows) + accelerators.known_names())
            out.append(f"Unknown accelerator {name!r}." + (f" {close}" if close else ""))
        fuzzy = _fuzzy(t, req)
        if fuzzy:
            out.append("Did you mean: " + ", ".join(fuzzy[:8]) + "?")
    if feasible_request(t, req, cloud_obj):
        return out
    for field in ("cpus", "memory"):
        amount = getattr(req, field)
        if amount is None or amount[1] != "exact":
            continue
        relaxed = replace(req, **{field: (amount[0], "min")})
        rows = feasible_request(t, relaxed, cloud_obj)
        if rows:
            got = rows[0].vcpus if field == "cpus" else rows[0].memory_gib
            value = _format_count(amount[0])
            out.append(f"No instance type has exactly {value} "
                       f"{'vCPUs' if field == 'cpus' else 'GiB of memory'}; add `+` "
                       f"({field}: {value}+) to accept more (cheapest: {rows[0].instance_type} "
                       f"with {_format_count(got)}).")
    return out
