"""Offerings of every installed cloud and the feasibility filter over them.

Catalog rows come from the plugins' ``CatalogSpec`` loaders and are cached per process. The
filter implements SkyPilot's request semantics: ``"N"`` means exactly N, ``"N+"`` at least N,
memory ``"Nx"`` means at least N GiB per vCPU.
"""

from __future__ import annotations

import threading
from typing import Any

from skycore import errors
from skycore.interfaces.catalog import Offering

_cache: dict[str, list[Offering]] = {}
_lock = threading.Lock()


def offerings(cloud: str) -> list[Offering]:
    """All rows of ``cloud``'s catalogs (loaded once per process)."""
    with _lock:
        rows = _cache.get(cloud)
        if rows is None:
            from skycore.plugins import get_manager
            rows = []
            for spec in get_manager().catalog_specs(cloud):
                rows.extend(spec.load())
            _cache[cloud] = rows
        return rows


def clear_cache() -> None:
    with _lock:
        _cache.clear()


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
        return abs(actual - amount) < 1e-6
    if mode == "min":
        return actual >= amount - 1e-6
    return actual >= amount * vcpus - 1e-6


def price_of(offering: Offering, use_spot: bool) -> float | None:
    return offering.spot_price if use_spot else offering.price


def feasible(cloud_obj: Any, resources: Any) -> list[Offering]:
    """Offerings of the cloud that satisfy ``resources``, cheapest first."""
    rows = offerings(cloud_obj.name)
    cpus = getattr(resources, "cpus", None)
    memory = getattr(resources, "memory", None)
    accelerators = getattr(resources, "accelerators", None) or {}
    instance_type = getattr(resources, "instance_type", None)
    if not (cpus or memory or instance_type or accelerators):
        cpus, memory = cloud_obj.default_cpus, cloud_obj.default_memory
    cpu_req = parse_amount(cpus, "resources.cpus") if cpus else None
    mem_req = parse_amount(memory, "resources.memory") if memory else None
    use_spot = bool(getattr(resources, "use_spot", False))
    region = getattr(resources, "region", None)
    zone = getattr(resources, "zone", None)
    max_cost = getattr(resources, "max_hourly_cost", None)
    acc_name, acc_count = next(iter(accelerators.items())) if accelerators else (None, None)

    result = []
    for row in rows:
        if instance_type and row.instance_type != instance_type:
            continue
        if region and row.region != region:
            continue
        if zone and row.zone != zone:
            continue
        if cpu_req and not _matches(cpu_req[0], cpu_req[1], row.vcpus, row.vcpus):
            continue
        if mem_req and not _matches(mem_req[0], mem_req[1], row.memory_gib, row.vcpus):
            continue
        if acc_name is not None:
            if (row.accelerator_name or "").lower() != str(acc_name).lower():
                continue
            if abs(row.accelerator_count - float(acc_count or 1)) > 0.01:
                continue
        price = price_of(row, use_spot)
        if price is None:
            continue
        if max_cost is not None and price > float(max_cost):
            continue
        result.append(row)
    if acc_name is None and not instance_type:
        # a CPU task should not land on a GPU machine when a CPU one fits
        cpu_only = [r for r in result if not r.accelerator_name]
        result = cpu_only or result
    result.sort(key=lambda r: (price_of(r, use_spot) or 0.0, r.region, r.zone or ""))
    return result
