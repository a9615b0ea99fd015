"""The operations themselves, run in-process: what an API-server worker executes.

The client SDK (:mod:`skycore.client.sdk`) turns each call into an HTTP request; the server's
workers call the functions here with the decoded arguments (:mod:`skycore.server.ops`). Tests of
the engine call them directly. Signatures take Python objects (a ``Dag``, an ``out`` stream, a
``progress`` callback); the JSON encoding lives in the server, not here.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from skycore.execution import cluster_ops, job_ops
from skycore.execution import launch as _launch
from skycore.execution.launch import LaunchResult, Progress
from skycore.optimizer.plan import Plan
from skycore.optimizer.render import infra_str
from skycore.state.clusters import ClusterRecord

__all__ = ["LaunchResult", "Plan", "optimize", "launch", "exec", "status", "queue", "tail_logs",
           "job_status", "cancel", "stop", "start", "down", "autostop", "check", "plugins"]


def optimize(dag: Any, cluster_name: str | None = None) -> Plan:
    """Plan a launch without running it (the "Considered resources" table)."""
    return _launch.optimize(dag, cluster_name)


def launch(dag: Any, cluster_name: str | None = None, *, dryrun: bool = False,
           detach_run: bool = False, idle_minutes: float | None = None, down: bool = False,
           retry_until_up: bool = False, no_setup: bool = False,
           progress: Progress | None = None, out: BinaryIO | None = None) -> LaunchResult:
    """Launch a task (or a one-task DAG) on a new or existing cluster and follow its logs."""
    return _launch.launch(dag, cluster_name, dryrun=dryrun, detach_run=detach_run,
                          idle_minutes=idle_minutes, down=down, retry_until_up=retry_until_up,
                          no_setup=no_setup, progress=progress, out=out)


def exec(dag: Any, cluster_name: str, *, detach_run: bool = False,  # noqa: A001 - SkyPilot name
         progress: Progress | None = None, out: BinaryIO | None = None) -> LaunchResult:
    """Run a task on an UP cluster: sync the workdir and submit, no setup."""
    return _launch.exec_task(dag, cluster_name, detach_run=detach_run, progress=progress,
                             out=out)


def _record_dict(record: ClusterRecord) -> dict[str, Any]:
    from skycore.plugins import get_manager

    launched = record.launched_resources
    try:
        display = get_manager().cloud(record.cloud).display_name or record.cloud
    except Exception:  # noqa: BLE001 - a broken plugin must not break `sky status`
        display = record.cloud
    acc = launched.get("accelerators") or {}
    parts = [f"cpus={launched.get('cpus', 0):g}", f"mem={launched.get('memory', 0):g}"]
    parts += [f"{k}:{v:g}" for k, v in acc.items()]
    parts.append(str(launched.get("instance_type")))
    return {
        "name": record.name,
        "status": record.status.value,
        "launched_at": record.launched_at,
        "infra": infra_str(display, record.region, record.zone),
        "cloud": record.cloud,
        "region": record.region,
        "zone": record.zone,
        "resources_str": f"{record.num_nodes}x(" + ", ".join(parts) + ")",
        "num_nodes": record.num_nodes,
        "autostop": record.autostop,
        "to_down": record.to_down,
        "head_ip": record.handle.get("head_ip"),
        "hourly_price": record.hourly_price,
        "user": record.owner,
        "last_use": record.last_use,
    }


def status(cluster_names: list[str] | None = None, *, refresh: bool = False,
           all_users: bool = False) -> list[dict[str, Any]]:
    """Cluster records (refreshed from the providers with ``refresh``)."""
    from skycore.execution.names import current_user

    records = cluster_ops.status(cluster_names, refresh_all=refresh)
    if not all_users:
        me = current_user()
        records = [r for r in records if r.owner == me]
    return [_record_dict(r) for r in records]


def queue(cluster_name: str, *, skip_finished: bool = False, all_users: bool = False
          ) -> list[dict[str, Any]]:
    return job_ops.queue(cluster_name, skip_finished=skip_finished, all_users=all_users)


def tail_logs(cluster_name: str, job_id: int | None, *, follow: bool = True,
              out: BinaryIO | None = None) -> int:
    return job_ops.tail_logs(cluster_name, job_id, follow=follow, out=out)


def job_status(cluster_name: str, job_ids: list[int] | None) -> dict[Any, str | None]:
    return job_ops.job_status(cluster_name, job_ids)


def cancel(cluster_name: str, job_ids: list[int] | None, *, all_jobs: bool = False
           ) -> list[int]:
    return job_ops.cancel(cluster_name, job_ids, all_jobs=all_jobs)


def stop(cluster_name: str) -> None:
    cluster_ops.stop(cluster_name)


def start(cluster_name: str, *, idle_minutes: float | None = None, down: bool = False,
          retry_until_up: bool = False, progress: Progress | None = None) -> None:
    del retry_until_up  # an existing cluster never fails over; kept for SkyPilot's signature
    log = (lambda m: progress("PROVISION", m)) if progress else None
    cluster_ops.start(cluster_name, idle_minutes=idle_minutes, down=down, log=log)


def down(cluster_name: str, *, purge: bool = False) -> None:
    cluster_ops.down(cluster_name, purge=purge)


def autostop(cluster_name: str, idle_minutes: float, *, down: bool = False) -> None:
    cluster_ops.autostop(cluster_name, idle_minutes, down=down)


def check(clouds: list[str] | None = None) -> dict[str, tuple[bool, str]]:
    return cluster_ops.check(clouds)


def plugins() -> list[Any]:
    from skycore.plugins import get_manager

    return get_manager().plugins()


def list_accelerators(name_filter: str | None = None, quantity_filter: int | None = None, *,
                      clouds: list[str] | None = None, region_filter: str | None = None,
                      all_regions: bool = False, case_sensitive: bool = False
                      ) -> dict[str, list[dict[str, Any]]]:
    """Offers per accelerator name (``sky gpus list NAME[:N]``), JSON-able rows."""
    from skycore.catalog import listing

    return listing.list_accelerators(name_filter, quantity_filter, clouds=clouds,
                                     region_filter=region_filter, all_regions=all_regions,
                                     case_sensitive=case_sensitive)


def list_accelerator_counts(clouds: list[str] | None = None) -> dict[str, list[float]]:
    """Accelerator name → the per-instance counts offered (``sky gpus list`` with no name)."""
    from skycore.catalog import listing

    return listing.list_accelerator_counts(clouds=clouds)
