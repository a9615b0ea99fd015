"""The optimizer's "Considered resources" table, laid out like SkyPilot's."""

from __future__ import annotations

from typing import Any


def _fmt_num(value: float) -> str:
    return f"{value:g}"


def infra_str(cloud_display: str, region: str | None, zone: str | None) -> str:
    where = zone or region
    return f"{cloud_display} ({where})" if where else cloud_display


def render_plan(plan: Any) -> str:
    from skycore.plugins import get_manager

    manager = get_manager()
    header = ["INFRA", "INSTANCE", "vCPUs", "Mem(GB)", "GPUS", "COST ($)", "CHOSEN"]
    rows: list[list[str]] = []
    # one row per (cloud, accelerator, spot) group: its cheapest member, or the chosen one
    groups: dict[tuple, Any] = {}
    for cand in plan.considered:
        key = (cand.cloud, cand.offering.accelerator_name,
               bool(getattr(cand.resources, "use_spot", False)))
        current = groups.get(key)
        if cand is plan.best or current is None or (
                current is not plan.best and cand.hourly_cost < current.hourly_cost):
            groups[key] = cand
    ordered = sorted(groups.values(), key=lambda c: ((c.request_index if plan.ordered else 0),
                                                     c.hourly_cost))
    for cand in ordered:
        off = cand.offering
        cloud = manager.cloud(cand.cloud)
        instance = off.instance_type + (" [Spot]" if getattr(cand.resources, "use_spot", False)
                                        else "")
        gpus = (f"{off.accelerator_name}:{_fmt_num(off.accelerator_count)}"
                if off.accelerator_name else "-")
        rows.append([infra_str(cloud.display_name or cand.cloud, off.region, off.zone), instance,
                     _fmt_num(off.vcpus), _fmt_num(off.memory_gib), gpus,
                     f"{cand.hourly_cost:.2f}", "✔" if cand is plan.best else ""])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "-" * (sum(widths) + 2 * (len(widths) - 1) + 2)

    def fmt(r: list[str]) -> str:
        return " " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip()

    num_nodes = plan.task.num_nodes
    title = f"Considered resources ({num_nodes} node{'s' if num_nodes > 1 else ''}):"
    cost = plan.best.hourly_cost if plan.best else 0.0
    out = [f"Estimated cost: ${cost:.2f} / hour", "", title, line, fmt(header), line]
    out += [fmt(r) for r in rows]
    out.append(line)
    return "\n".join(out)
