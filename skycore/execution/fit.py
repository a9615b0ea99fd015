"""Does a task fit an existing cluster? (SkyPilot's ``less_demanding_than``.)"""

from __future__ import annotations

from typing import Any

from skycore import errors
from skycore.catalog.query import parse_amount
from skycore.state.clusters import ClusterRecord


def _mismatch(resources: Any, record: ClusterRecord, manager: Any) -> str | None:
    launched = record.launched_resources
    cloud = getattr(resources, "cloud", None)
    if cloud and manager.resolve_cloud_name(cloud) != record.cloud:
        return f"cloud {cloud} (cluster is on {record.cloud})"
    for key in ("region", "zone", "instance_type"):
        want = getattr(resources, key, None)
        if want and want != launched.get(key):
            return f"{key} {want} (cluster has {launched.get(key)})"
    for key, have in (("cpus", launched["cpus"]), ("memory", launched["memory"])):
        want = getattr(resources, key, None)
        if not want:
            continue
        amount, mode = parse_amount(want, f"resources.{key}")
        need = amount * launched["cpus"] if mode == "per_cpu" else amount
        if have + 1e-6 < need:
            return f"{key}={want} (cluster nodes have {have:g})"
    accelerators = getattr(resources, "accelerators", None) or {}
    have_acc = {k.lower(): v for k, v in (launched.get("accelerators") or {}).items()}
    for name, count in accelerators.items():
        if have_acc.get(str(name).lower(), 0) + 1e-6 < float(count or 1):
            return f"accelerators {name}:{count} (cluster has {launched.get('accelerators')})"
    if getattr(resources, "use_spot_specified", False) and bool(
            getattr(resources, "use_spot", False)) != bool(launched.get("use_spot")):
        return f"use_spot={resources.use_spot}"
    return None


def fitting_resources(task: Any, record: ClusterRecord) -> Any:
    """The first of the task's resources candidates the cluster satisfies; raises
    ResourcesMismatchError explaining why none does."""
    from skycore.plugins import get_manager

    manager = get_manager()
    if task.num_nodes > record.num_nodes:
        raise errors.ResourcesMismatchError(
            f"Task requests {task.num_nodes} nodes but cluster {record.name!r} has "
            f"{record.num_nodes}. Launch a new cluster with -c NEW_NAME, or `sky down "
            f"{record.name}` first.")
    problems = []
    for resources in task.resources:
        problem = _mismatch(resources, record, manager)
        if problem is None:
            return resources
        problems.append(problem)
    raise errors.ResourcesMismatchError(
        f"Task requirements do not fit the existing cluster {record.name!r}: requested "
        + "; or ".join(problems) + f". The cluster has {record.launched_resources}. "
        "Launch a new cluster with a different name (-c), or lower the requirements.")


def job_demand(resources: Any, record: ClusterRecord) -> dict[str, float]:
    """Per-node Ray demand of a job: the requested CPUs (default 0.5, so jobs share a node
    as in SkyPilot) plus accelerators."""
    demand: dict[str, float] = {"CPU": 0.5}
    cpus = getattr(resources, "cpus", None)
    if cpus:
        amount, _ = parse_amount(cpus, "resources.cpus")
        demand["CPU"] = min(amount, float(record.launched_resources["cpus"]))
    for name, count in (getattr(resources, "accelerators", None) or {}).items():
        launched = record.launched_resources.get("accelerators") or {}
        canonical = next((k for k in launched if k.lower() == str(name).lower()), str(name))
        demand[canonical] = float(count or 1)
        demand["GPU"] = float(count or 1)
    return demand
