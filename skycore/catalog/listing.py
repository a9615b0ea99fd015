"""What ``sky gpus list`` shows: accelerator offers per name, and the counts offered.

Semantics follow SkyPilot's ``list_accelerators_impl`` and ``show_gpus``:

* rows without an accelerator are dropped; the name filter is a case-insensitive regular
  expression searched in the accelerator name (``A100`` also lists ``A100-80GB``), the region
  filter likewise in the region; the quantity filter is exact;
* per accelerator and cloud, offers are deduplicated on (instance type, accelerator, count,
  vCPUs, memory) - plus region with ``all_regions`` - keeping the cheapest (on-demand, then
  spot), then sorted by (count, instance type, vCPUs, price, spot, region);
* per accelerator, clouds are ordered by their cheapest (on-demand, spot) offer, and rows within
  by (price, spot) - the order SkyPilot's CLI prints;
* attachable accelerators (no instance type, GCP) show ``instance_type: None`` and their own
  price, except those the cloud's attach rule puts on exactly one machine type (A100 on
  ``a2-highgpu-8g``): those show the machine and the summed price, as SkyPilot does.

Everything returned is JSON-able (str, float, None) because the SDK serves it over HTTP.
Only enabled clouds are listed; naming a disabled one is an error that says how to enable it.
"""

from __future__ import annotations

import re
from typing import Any

from skycore import errors
from skycore.catalog import query
from skycore.catalog.columns import is_missing
from skycore.catalog.index import CatalogTable

_INF = float("inf")


def _enabled(name: str) -> tuple[bool, str]:
    from skycore.plugins import get_manager

    try:
        check = get_manager().cloud(name).check_credentials()
    except errors.SkyError as exc:
        return False, str(exc)
    return bool(check.ok), check.reason


def resolve_clouds(clouds: list[str] | str | None) -> list[str]:
    """Canonical names of the clouds to list: the named ones (which must be enabled) or every
    enabled cloud."""
    from skycore.plugins import get_manager

    manager = get_manager()
    if clouds is None:
        return [name for name in manager.cloud_specs() if _enabled(name)[0]]
    names = [clouds] if isinstance(clouds, str) else list(clouds)
    result = []
    for raw in names:
        name = manager.resolve_cloud_name(raw)
        ok, reason = _enabled(name)
        if not ok:
            raise errors.NotSupportedError(
                f"Cloud {name!r} is not enabled" + (f": {reason}" if reason else ".")
                + f" Run `sky check {name}` for details.")
        if name not in result:
            result.append(name)
    return result


def _pattern(text: str | None, case_sensitive: bool) -> re.Pattern[str] | None:
    if text is None:
        return None
    flags = 0 if case_sensitive else re.IGNORECASE
    try:
        return re.compile(text, flags)
    except re.error:
        return re.compile(re.escape(text), flags)


def _value(x: float) -> float | None:
    return None if is_missing(x) else x


def _rows_for(t: CatalogTable, name: str, display: str, quantity: float | None,
              region_re: re.Pattern[str] | None) -> list[dict[str, Any]]:
    c, s = t.columns, t.columns.strings
    out = []
    for i in t.acc_rows[name]:
        count = c.count[i]
        if quantity is not None and abs(count - quantity) > 0.01:
            continue
        region = s[c.region[i]]
        if region_re is not None and not region_re.search(region):
            continue
        instance_type: str | None = s[c.itype[i]] or None
        vcpus, mem = _value(c.vcpus[i]), _value(c.mem[i])
        price, spot = c.price[i], c.spot[i]
        if instance_type is None:
            hosts = t.hosts_for(name, count)
            if len(hosts) == 1 and t.has_type(hosts[0]):
                host_row = t.host_row(hosts[0], c.region[i], c.zone[i])
                if host_row is None:
                    continue  # the machine is not sold where the GPU is listed
                instance_type = hosts[0]
                vcpus, mem = _value(c.vcpus[host_row]), _value(c.mem[host_row])
                price, spot = t.host_prices(i, host_row)
        out.append({
            "cloud": display, "instance_type": instance_type, "accelerator_name": name,
            "accelerator_count": count, "cpu_count": vcpus,
            "device_memory": _value(c.devmem[i]), "memory": mem,
            "price": _value(price),
            "spot_price": _value(spot), "region": region,
        })
    return out


def _num_key(x: float | None) -> float:
    return _INF if x is None else x


def _dedupe(rows: list[dict[str, Any]], all_regions: bool) -> list[dict[str, Any]]:
    rows = sorted(rows, key=lambda r: (_num_key(r["price"]), _num_key(r["spot_price"]),
                                       r["region"] if all_regions else ""))
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for r in rows:
        key = (r["instance_type"], r["accelerator_name"], r["accelerator_count"], r["cpu_count"],
               r["memory"]) + ((r["region"],) if all_regions else ())
        if key in seen:
            continue
        seen.add(key)
        kept.append(r)
    kept.sort(key=lambda r: (r["accelerator_count"], r["instance_type"] or "",
                             r["cpu_count"] or 0.0, _num_key(r["price"]),
                             _num_key(r["spot_price"]), r["region"]))
    return kept


def list_accelerators(name_filter: str | None = None, quantity_filter: float | None = None, *,
                      clouds: list[str] | str | None = None, region_filter: str | None = None,
                      all_regions: bool = False, case_sensitive: bool = False
                      ) -> dict[str, list[dict[str, Any]]]:
    """Accelerator name -> its offers (dicts with cloud, instance_type, accelerator_name,
    accelerator_count, cpu_count, device_memory, memory, price, spot_price, region)."""
    from skycore.plugins import get_manager

    manager = get_manager()
    name_re = _pattern(name_filter, case_sensitive)
    region_re = _pattern(region_filter, case_sensitive)
    per_name: dict[str, list[dict[str, Any]]] = {}
    for cloud in resolve_clouds(clouds):
        t = query.table(cloud)
        cloud_obj = manager.cloud(cloud)
        display = cloud_obj.display_name or cloud
        for name in t.acc_rows:
            if name_re is not None and not name_re.search(name):
                continue
            rows = _dedupe(_rows_for(t, name, display, quantity_filter, region_re), all_regions)
            if rows:
                per_name.setdefault(name, []).extend(rows)
    result = {}
    for name in sorted(per_name):
        rows = per_name[name]
        best: dict[str, tuple[float, float]] = {}
        for r in rows:
            price, spot = _num_key(r["price"]), _num_key(r["spot_price"])
            old = best.get(r["cloud"], (_INF, _INF))
            best[r["cloud"]] = (min(old[0], price), min(old[1], spot))
        rows.sort(key=lambda r: (*best[r["cloud"]], _num_key(r["price"]),
                                 _num_key(r["spot_price"])))
        result[name] = rows
    return result


def list_accelerator_counts(clouds: list[str] | str | None = None,
                            region_filter: str | None = None) -> dict[str, list[float]]:
    """Accelerator name -> the per-machine counts offered, across the (enabled) clouds."""
    region_re = _pattern(region_filter, False)
    counts: dict[str, set[float]] = {}
    for cloud in resolve_clouds(clouds):
        t = query.table(cloud)
        if region_re is None:
            for name, values in t.accelerator_counts().items():
                counts.setdefault(name, set()).update(values)
            continue
        c, s = t.columns, t.columns.strings
        for name, rows in t.acc_rows.items():
            for i in rows:
                if region_re.search(s[c.region[i]]):
                    counts.setdefault(name, set()).add(c.count[i])
    return {name: sorted(values) for name, values in sorted(counts.items())}
