"""Cluster lifecycle operations: status (with refresh), stop, start, down, autostop."""

from __future__ import annotations

import fnmatch
import time
from typing import Any

from skycore import errors
from skycore.execution.connect import backend, change_status, connect, deadline, forget
from skycore.execution.locks import cluster_lock
from skycore.features import Feature
from skycore.interfaces.backend import ConnectedCluster
from skycore.interfaces.provision import InstanceStatus
from skycore.plugins import get_manager
from skycore.state import clusters
from skycore.state.clusters import ClusterRecord, ClusterStatus

#: cached records of autostop-enabled clusters older than this are refreshed by `sky status`
AUTOSTOP_REFRESH_AGE = 2.0


def enabled_clouds() -> list[str]:
    """Clouds whose credential check passes now (cheap checks; cached per process)."""
    manager = get_manager()
    result = []
    for name in manager.cloud_specs():
        try:
            if manager.cloud(name).check_credentials().ok:
                result.append(name)
        except errors.SkyError:
            continue
    return result


def check(clouds: list[str] | None = None) -> dict[str, tuple[bool, str]]:
    manager = get_manager()
    names = [manager.resolve_cloud_name(c) for c in clouds] if clouds else list(
        manager.cloud_specs())
    result = {}
    for name in names:
        try:
            res = manager.cloud(name).check_credentials()
            result[name] = (res.ok, res.reason)
        except Exception as exc:  # noqa: BLE001 - a broken cloud is reported, not raised
            result[name] = (False, f"{type(exc).__name__}: {exc}")
    return result


def get_record(name: str) -> ClusterRecord:
    record = clusters.get(name)
    if record is None:
        raise errors.ClusterDoesNotExistError(f"Cluster {name!r} does not exist.")
    return record


def require_up(name: str) -> ClusterRecord:
    record = get_record(name)
    if record.status not in (ClusterStatus.UP, ClusterStatus.AUTOSTOPPING):
        hint = (f"`sky start {name}`" if record.status == ClusterStatus.STOPPED
                else f"`sky launch -c {name}` to repair it, or `sky status -r {name}`")
        raise errors.ClusterNotUpError(
            f"Cluster {name!r} is {record.status.value}, not UP. Run {hint}.")
    return record


# ----------------------------------------------------------------------------- refresh
def refresh(record: ClusterRecord, lock_timeout: float = 20.0) -> ClusterRecord | None:
    """Reconcile a record with the provider and the runtime (SkyPilot's rules).

    No nodes → the record is removed; every node running and the runtime healthy → UP (or
    AUTOSTOPPING); every node stopped → STOPPED; anything else → INIT (abnormal). When another
    operation holds the cluster's lock, the cached record is returned unchanged.
    """
    try:
        lock = cluster_lock(record.name, timeout=lock_timeout)
        lock.acquire()
    except Exception:  # noqa: BLE001 - filelock.Timeout: someone is launching; keep the cache
        return record
    try:
        return _refresh_locked(record.name)
    finally:
        lock.release()


def _query_nodes(record: ClusterRecord) -> dict[str, InstanceStatus]:
    """The provider's view of the cluster's nodes (empty: the cluster is gone)."""
    provisioner = get_manager().provisioner(record.cloud)
    return provisioner.query_instances(record.handle["cluster_name_on_cloud"],
                                       record.handle.get("provider_config") or {}, deadline())


def _all_running(record: ClusterRecord, statuses: dict[str, InstanceStatus]) -> bool:
    return len(statuses) == record.num_nodes and all(
        s == InstanceStatus.RUNNING for s in statuses.values())


def _refresh_locked(name: str) -> ClusterRecord | None:
    record = clusters.get(name)
    if record is None:
        return None
    statuses = _query_nodes(record)
    if not statuses:
        forget(record)
        return None
    if _all_running(record, statuses):
        conn = connect(record)
        be = backend()
        if be.runtime_healthy(conn):
            stopping = be.autostop_status(conn).get("autostopping", False)
            change_status(record, ClusterStatus.AUTOSTOPPING if stopping else ClusterStatus.UP)
        else:
            change_status(record, ClusterStatus.INIT)
    elif all(s == InstanceStatus.STOPPED for s in statuses.values()):
        change_status(record, ClusterStatus.STOPPED, autostop=-1.0, to_down=False)
    else:
        change_status(record, ClusterStatus.INIT)
    return clusters.get(name)


def status(cluster_names: list[str] | None = None, *, refresh_all: bool = False
           ) -> list[ClusterRecord]:
    records = clusters.list_all()
    if cluster_names:
        records = [r for r in records
                   if any(fnmatch.fnmatchcase(r.name, pattern) for pattern in cluster_names)]
    result = []
    now = time.time()
    for record in records:
        stale_autostop = (record.autostop >= 0 or record.status == ClusterStatus.AUTOSTOPPING) \
            and now - record.status_updated_at > AUTOSTOP_REFRESH_AGE
        if refresh_all or stale_autostop:
            refreshed = refresh(record, lock_timeout=20.0 if refresh_all else 0.0)
            if refreshed is None:
                continue
            record = refreshed
        result.append(record)
    return result


# ----------------------------------------------------------------------------- lifecycle


def stop_nodes(record: ClusterRecord) -> None:
    """Stop the nodes (ends every process of a local node); caller holds the lock."""
    provisioner = get_manager().provisioner(record.cloud)
    provisioner.stop_instances(record.handle["cluster_name_on_cloud"],
                               record.handle.get("provider_config") or {}, deadline())


def revive(record: ClusterRecord, log: Any) -> ConnectedCluster | None:
    """Reuse a cluster that is not STOPPED: its runtime is healthy, or can be repaired without
    restarting Ray (running jobs survive). Otherwise end whatever is left on its nodes and
    return None, so the caller brings it back in place with a clean runtime (never a second Ray
    beside a half-dead one). Caller holds the cluster lock."""
    if record.status == ClusterStatus.STOPPED:
        return None
    if _all_running(record, _query_nodes(record)):
        conn = connect(record)
        be = backend()
        if be.runtime_healthy(conn) or be.repair_runtime(conn, log):
            if record.status != ClusterStatus.UP:
                change_status(record, ClusterStatus.UP)
            return conn
    stop_nodes(record)
    return None


def stop(name: str) -> None:
    with cluster_lock(name):
        record = get_record(name)
        if Feature.STOP not in get_manager().cloud(record.cloud).features:
            raise errors.NotSupportedError(
                f"{record.cloud} clusters cannot be stopped; use `sky down {name}`.")
        stop_nodes(record)
        change_status(record, ClusterStatus.STOPPED, autostop=-1.0, to_down=False)


def start(name: str, *, idle_minutes: float | None = None, down: bool = False,
          log: Any = None) -> None:
    from skycore.execution.provision import provision_with_failover
    from skycore.optimizer.plan import Plan

    log = log or (lambda m: None)
    with cluster_lock(name):
        record = get_record(name)
        conn = revive(record, log)
        if conn is not None:
            if idle_minutes is not None:
                set_autostop(record, conn, idle_minutes, down)
            return
        conn = provision_with_failover(None, Plan(task=None, cluster_name=name, best=None),
                                       name, record, log, enabled_clouds=[record.cloud])
        if idle_minutes is not None:
            set_autostop(record, conn, idle_minutes, down)


def down(name: str, *, purge: bool = False) -> None:
    with cluster_lock(name):
        record = get_record(name)
        provisioner = get_manager().provisioner(record.cloud)
        try:
            provisioner.cleanup_ports(record.handle["cluster_name_on_cloud"],
                                      record.handle.get("provider_config") or {}, deadline())
            provisioner.terminate_instances(record.handle["cluster_name_on_cloud"],
                                            record.handle.get("provider_config") or {},
                                            deadline())
        except Exception:
            if not purge:
                raise
        forget(record)


def set_autostop(record: ClusterRecord, conn: ConnectedCluster, idle_minutes: float,
                 down: bool) -> None:
    """Tell skylet to stop (or tear down) the cluster after ``idle_minutes`` idle; < 0 cancels."""
    cloud = get_manager().cloud(record.cloud)
    needed = Feature.AUTODOWN if down else Feature.AUTOSTOP
    if idle_minutes >= 0 and needed not in cloud.features:
        raise errors.NotSupportedError(
            f"{cloud.display_name or record.cloud} does not support "
            f"{'autodown' if down else 'autostop'}.")
    provisioner = get_manager().provisioner(record.cloud)
    commands = provisioner.self_stop_commands(record.handle["cluster_name_on_cloud"],
                                              record.handle.get("provider_config") or {})
    backend().set_autostop(conn, idle_minutes, down, commands)
    clusters.update_fields(record.name, autostop=float(idle_minutes) if idle_minutes >= 0
                           else -1.0, to_down=bool(down and idle_minutes >= 0))


def autostop(name: str, idle_minutes: float, *, down: bool = False) -> None:
    with cluster_lock(name):
        record = require_up(name)
        set_autostop(record, connect(record), idle_minutes, down)
