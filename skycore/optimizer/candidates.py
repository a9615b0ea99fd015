"""Candidate placements of one task: per cloud the cheapest feasible offering, per region/zone.

SkyPilot's ``_fill_in_launchable_resources`` (facts §5.4), with one deliberate difference: blocked
placements are removed *before* the cheapest instance type is picked, so a cloud whose cheapest
type failed everywhere still offers its next-cheapest type instead of dropping out of failover.

Expansion: one candidate per region, or per zone when the request is spot (spot prices differ by
zone) or when the cloud has zones whose prices for that type differ. A region candidate carries
its first unblocked zone (cheapest, then by name): that is where provisioning tries first, and a
``CapacityError`` there blocks only that zone, so the next plan offers the region's next zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from skycore.catalog import query
from skycore.interfaces.catalog import Offering
from skycore.optimizer import estimate


@dataclass(frozen=True)
class Blocked:
    """A region of the search space failover has ruled out; ``None`` fields are wildcards."""

    cloud: str
    region: str | None = None
    zone: str | None = None

    def covers(self, cloud: str, region: str | None, zone: str | None) -> bool:
        return (self.cloud == cloud and self.region in (None, region)
                and self.zone in (None, zone))

    def describe(self) -> str:
        if self.zone:
            return f"zone {self.zone}"
        if self.region:
            return f"region {self.region}"
        return f"cloud {self.cloud}"


@dataclass
class Candidate:
    """One placement the optimizer may choose: an offering of a cloud for one request entry."""

    request_index: int
    resources: Any
    cloud: str
    offering: Offering
    num_nodes: int
    #: True: this candidate is one zone; False: it stands for its region (``zone`` = first try)
    per_zone: bool = True
    runtime_hours: float = estimate.DEFAULT_RUNTIME_HOURS
    display_name: str = ""

    @property
    def use_spot(self) -> bool:
        return bool(getattr(self.resources, "use_spot", False))

    @property
    def hourly_cost(self) -> float:
        """USD per hour for all nodes."""
        price = query.price_of(self.offering, self.use_spot)
        return (price or 0.0) * self.num_nodes

    @property
    def cost(self) -> float:
        """USD for the estimated runtime."""
        return self.hourly_cost * self.runtime_hours

    @property
    def region(self) -> str:
        return self.offering.region

    @property
    def zone(self) -> str | None:
        return self.offering.zone

    @property
    def where(self) -> str | None:
        """What the table's INFRA column shows after the cloud: the zone or the region."""
        return (self.zone if self.per_zone else None) or self.region

    def __repr__(self) -> str:
        return (f"Candidate({self.cloud} {self.where} {self.offering.instance_type}"
                f"{' [Spot]' if self.use_spot else ''} ${self.hourly_cost:.4g}/h)")


@dataclass
class TaskCandidates:
    """All candidates of a task (``considered``, for the table), those the solver may pick
    (``pool``: for ``ordered`` only the first entry that has any) and why clouds fell out."""

    considered: list[Candidate] = field(default_factory=list)
    pool: list[Candidate] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def expand(cloud_obj: Any, rows: list[Offering], blocked: list[Blocked],
           use_spot: bool) -> list[tuple[Offering, bool]]:
    """(offering, per_zone) for the cheapest unblocked instance type of ``rows`` (cheapest
    first), one per region or zone. ``rows`` must be sorted cheapest first."""
    name = cloud_obj.name
    if blocked:
        mine = [b for b in blocked if b.cloud == name]
        if mine:
            rows = [r for r in rows if not any(b.covers(name, r.region, r.zone) for b in mine)]
    if not rows:
        return []
    best_type = rows[0].instance_type
    by_region: dict[str, list[Offering]] = {}
    for row in rows:
        if row.instance_type == best_type:
            by_region.setdefault(row.region, []).append(row)
    result: list[tuple[Offering, bool]] = []
    for region_rows in by_region.values():
        prices = {query.price_of(r, use_spot) for r in region_rows}
        if use_spot or (cloud_obj.has_zones and len(prices) > 1):
            seen: set[str | None] = set()
            for row in region_rows:
                if row.zone not in seen:
                    seen.add(row.zone)
                    result.append((row, row.zone is not None))
        else:
            result.append((region_rows[0], False))
    return result


def task_candidates(task: Any, *, enabled_clouds: list[str], blocked: list[Blocked],
                    manager: Any, memo: dict[Any, Any] | None = None) -> TaskCandidates:
    """Candidates of every request entry of ``task`` on every usable cloud. ``memo`` shares
    catalog queries and expansions between the tasks of one DAG planned with the same
    ``blocked`` (pipelines repeat resource shapes)."""
    out = TaskCandidates()
    memo = {} if memo is None else memo
    for index, resources in enumerate(task.resources):
        clouds = enabled_clouds
        if getattr(resources, "cloud", None):
            name = manager.resolve_cloud_name(resources.cloud)
            if name not in enabled_clouds:
                out.reasons.append(f"Cloud {name!r} is not enabled (run `sky check {name}`).")
                continue
            clouds = [name]
        use_spot = bool(getattr(resources, "use_spot", False))
        for cloud_name in clouds:
            cloud_obj = manager.cloud(cloud_name)
            label = cloud_obj.display_name or cloud_name
            missing = cloud_obj.unsupported_features(resources, task.num_nodes)
            if missing:
                out.reasons.extend(missing.values())
                continue
            key = (cloud_name, resources)
            if key not in memo:
                # with nothing blocked only the cheapest type's rows matter: asking for just
                # those keeps a broad CPU request from building thousands of offerings
                rows = query.feasible(cloud_obj, resources,
                                      limit_types=None if blocked else 1)
                memo[key] = (bool(rows), expand(cloud_obj, rows, blocked, use_spot))
            any_rows, placements = memo[key]
            if not any_rows:
                out.reasons.append(f"{label}: no offering satisfies {describe(resources)}.")
                continue
            if not placements:
                out.reasons.append(f"{label}: every placement of {describe(resources)} was "
                                   "blocked by earlier failures.")
                continue
            for row, per_zone in placements:
                cand = Candidate(index, resources, cloud_name, row, task.num_nodes,
                                 per_zone=per_zone, display_name=label)
                cand.runtime_hours = estimate.runtime_hours(task, cand)
                out.considered.append(cand)
    if out.considered:
        if task.resources_ordered:
            first = min(c.request_index for c in out.considered)
            out.pool = [c for c in out.considered if c.request_index == first]
        else:
            out.pool = list(out.considered)
    return out


def describe(resources: Any) -> str:
    """The request in the words of the error messages (``cpus=4+, accelerators=A100:8``)."""
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
    for key in ("region", "zone"):
        value = getattr(resources, key, None)
        if value:
            parts.append(f"{key}={value}")
    return ", ".join(parts) or "default resources"
