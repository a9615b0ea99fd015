"""Placement of one task: the cheapest feasible offering per cloud, then the best overall.

This is the single-task planner the launch pipeline uses today (candidates per cloud, blocked
resources from failover, ``ordered`` vs ``any_of``, the "Considered resources" table). The DAG
solvers (chain DP, ILP) build on the same candidate lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from skycore import errors
from skycore.catalog import query
from skycore.interfaces.catalog import Offering


@dataclass(frozen=True)
class Blocked:
    """A region of the search space failover has ruled out; ``None`` fields are wildcards."""

    cloud: str
    region: str | None = None
    zone: str | None = None

    def covers(self, cloud: str, region: str | None, zone: str | None) -> bool:
        return (self.cloud == cloud and self.region in (None, region)
                and self.zone in (None, zone))


@dataclass
class Candidate:
    request_index: int
    resources: Any
    cloud: str
    offering: Offering
    num_nodes: int

    @property
    def hourly_cost(self) -> float:
        price = query.price_of(self.offering, bool(getattr(self.resources, "use_spot", False)))
        return (price or 0.0) * self.num_nodes

    @property
    def region(self) -> str:
        return self.offering.region

    @property
    def zone(self) -> str | None:
        return self.offering.zone


@dataclass
class Plan:
    task: Any
    cluster_name: str | None
    best: Candidate | None
    considered: list[Candidate] = field(default_factory=list)
    existing_cluster: bool = False
    ordered: bool = False

    def render(self) -> str:
        from skycore.optimizer.render import render_plan
        return render_plan(self)


def _expand(cloud_obj: Any, rows: list[Offering], blocked: list[Blocked]) -> list[Offering]:
    """Cheapest offering per placement (region, or zone for zoned clouds), unblocked only."""
    best_instance = rows[0].instance_type
    seen: set[tuple[str, str | None]] = set()
    result = []
    for row in rows:
        if row.instance_type != best_instance:
            continue
        key = (row.region, row.zone if cloud_obj.has_zones else None)
        if key in seen:
            continue
        if any(b.covers(cloud_obj.name, row.region, row.zone) for b in blocked):
            continue
        seen.add(key)
        result.append(row)
    return result


def plan_task(task: Any, *, enabled_clouds: list[str], blocked: list[Blocked] | None = None,
              cluster_name: str | None = None) -> Plan:
    """Choose where ``task`` runs. Raises ResourcesUnavailableError with the reasons when
    nothing fits."""
    from skycore.plugins import get_manager

    manager = get_manager()
    blocked = list(blocked or [])
    considered: list[Candidate] = []
    reasons: list[str] = []
    for index, resources in enumerate(task.resources):
        clouds = enabled_clouds
        if getattr(resources, "cloud", None):
            name = manager.resolve_cloud_name(resources.cloud)
            if name not in enabled_clouds:
                reasons.append(f"Cloud {name!r} is not enabled (run `sky check {name}`).")
                continue
            clouds = [name]
        for cloud_name in clouds:
            cloud_obj = manager.cloud(cloud_name)
            missing = cloud_obj.unsupported_features(resources, task.num_nodes)
            if missing:
                reasons.extend(missing.values())
                continue
            rows = query.feasible(cloud_obj, resources)
            if not rows:
                reasons.append(f"{cloud_obj.display_name or cloud_name}: no offering satisfies "
                               f"{_describe(resources)}.")
                continue
            placements = _expand(cloud_obj, rows, blocked)
            if not placements:
                reasons.append(f"{cloud_obj.display_name or cloud_name}: every placement of "
                               f"{rows[0].instance_type} was blocked by earlier failures.")
                continue
            considered.extend(Candidate(index, resources, cloud_name, row, task.num_nodes)
                              for row in placements)
    if not considered:
        detail = "\n".join(f"  - {r}" for r in dict.fromkeys(reasons))
        raise errors.ResourcesUnavailableError(
            "No launchable resources satisfy the request"
            + (f" ({_describe(task.resources[0])})" if len(task.resources) == 1 else "")
            + f".\n{detail}\nTo fix: relax the request, or run `sky check` to enable more infra.")
    if task.resources_ordered:
        first = min(c.request_index for c in considered)
        pool = [c for c in considered if c.request_index == first]
    else:
        pool = considered
    best = min(pool, key=lambda c: (c.hourly_cost, c.request_index, c.cloud, c.region))
    return Plan(task=task, cluster_name=cluster_name, best=best, considered=considered,
                ordered=bool(task.resources_ordered))


def _describe(resources: Any) -> str:
    parts = []
    for key in ("cpus", "memory", "instance_type"):
        value = getattr(resources, key, None)
        if value:
            parts.append(f"{key}={value}")
    accelerators = getattr(resources, "accelerators", None)
    if accelerators:
        parts.append("accelerators=" + ",".join(f"{k}:{v:g}" if isinstance(v, (int, float))
                                                else str(k) for k, v in accelerators.items()))
    if getattr(resources, "use_spot", False):
        parts.append("use_spot=True")
    return ", ".join(parts) or "default resources"
