"""PROVISION stage: bring a cluster UP, failing over across zones, regions and clouds.

The provider's classified error decides how much of the search space a failure rules out
(:mod:`skycore.errors`); the planner is re-run with that blocked until nothing is left, and the
final error carries the whole history. An existing cluster never fails over: it is brought back
where it lives.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from skycore import errors
from skycore.execution import names
from skycore.execution.connect import backend, change_status, deadline, forget
from skycore.features import Feature
from skycore.interfaces.backend import ConnectedCluster
from skycore.interfaces.provision import InstanceStatus, ProvisionConfig
from skycore.optimizer.plan import Blocked, Candidate, Plan, plan_task
from skycore.plugins import get_manager
from skycore.state import clusters
from skycore.state.clusters import ClusterRecord, ClusterStatus

Log = Callable[[str], None]
_TRANSIENT_RETRIES = 3


def _blocked_for(error: Exception, cand: Candidate) -> Blocked | None:
    if isinstance(error, errors.CapacityError):
        return Blocked(cand.cloud, cand.region, cand.zone)
    if isinstance(error, errors.QuotaError):
        return Blocked(cand.cloud, cand.region)
    if isinstance(error, (errors.AuthError, errors.NotSupportedError)):
        return Blocked(cand.cloud)
    return None


def _new_record(cand: Candidate, cluster_name: str, task: Any) -> ClusterRecord:
    """The INIT record of a cluster about to be created on ``cand``."""
    now = time.time()
    cluster_hash = uuid.uuid4().hex
    cloud = get_manager().cloud(cand.cloud)
    off = cand.offering
    launched = {
        "cloud": cand.cloud, "region": off.region, "zone": off.zone,
        "instance_type": off.instance_type, "cpus": off.vcpus, "memory": off.memory_gib,
        "accelerators": ({off.accelerator_name: off.accelerator_count}
                         if off.accelerator_name else None),
        "use_spot": bool(getattr(cand.resources, "use_spot", False)),
        "disk_size": getattr(cand.resources, "disk_size", 256),
        "labels": getattr(cand.resources, "labels", None),
    }
    handle = {"cluster_name_on_cloud": names.name_on_cloud(
        cluster_name, cluster_hash, cloud.max_cluster_name_length), "provider_config": {}}
    return ClusterRecord(
        name=cluster_name, cluster_hash=cluster_hash, status=ClusterStatus.INIT,
        launched_at=now, status_updated_at=now, owner=names.current_user(), cloud=cand.cloud,
        region=off.region, zone=off.zone, num_nodes=task.num_nodes, launched_resources=launched,
        hourly_price=cand.hourly_cost, handle=handle)


def provision_once(record: ClusterRecord, log: Log, *, is_new: bool) -> ConnectedCluster:
    """Create or resume the record's nodes and start the runtime. On failure a cluster that was
    never UP is terminated (nothing left behind); one that was UP is stopped."""
    provisioner = get_manager().provisioner(record.cloud)
    handle = record.handle
    launched = record.launched_resources
    config = ProvisionConfig(
        cluster_name=record.name, cluster_name_on_cloud=handle["cluster_name_on_cloud"],
        region=record.region or "", zone=record.zone, count=record.num_nodes,
        instance_type=launched["instance_type"], resources=launched,
        provider_config=dict(handle.get("provider_config") or {}),
        tags={"skycore-cluster": record.name})
    if is_new:
        clusters.create_or_update(record)
        get_manager().notify_cluster_status_changed(record.name, None, "INIT", record.cloud)
    else:
        change_status(record, ClusterStatus.INIT)
    try:
        config = provisioner.bootstrap(config, deadline())
        handle["provider_config"] = config.provider_config
        clusters.update_fields(record.name, handle=handle)
        log(f"Launching {record.num_nodes} node(s) of {config.instance_type} on "
            f"{record.cloud} ({record.zone or record.region})")
        provisioner.run_instances(config, deadline())
        provisioner.wait_instances(config.cluster_name_on_cloud, config.provider_config,
                                   InstanceStatus.RUNNING, deadline())
        info = provisioner.get_cluster_info(config.cluster_name_on_cloud,
                                            config.provider_config, deadline())
        conn = ConnectedCluster(name=record.name, handle=handle,
                                runners=provisioner.get_command_runners(info),
                                runtime=provisioner.node_runtime(info),
                                extras={"cluster_info": info})
        handle["ray_address"] = backend().setup_runtime(conn, log)
        handle["node_ips"] = info.internal_ips
        handle["head_ip"] = info.head.internal_ip
        change_status(record, ClusterStatus.UP, handle=handle, autostop=-1.0, to_down=False)
        return conn
    except BaseException:
        _cleanup_failed(record, provisioner, config)
        raise


def _cleanup_failed(record: ClusterRecord, provisioner: Any, config: ProvisionConfig) -> None:
    try:
        if record.cluster_ever_up and Feature.STOP in get_manager().cloud(record.cloud).features:
            provisioner.stop_instances(config.cluster_name_on_cloud, config.provider_config,
                                       deadline())
            change_status(record, ClusterStatus.STOPPED)
        else:
            provisioner.terminate_instances(config.cluster_name_on_cloud,
                                            config.provider_config, deadline())
            if not record.cluster_ever_up:
                forget(record)
            else:
                change_status(record, ClusterStatus.INIT)
    except Exception:  # noqa: BLE001 - the original error matters more; state stays INIT
        pass


def provision_with_failover(task: Any, plan: Plan, cluster_name: str,
                            existing: ClusterRecord | None, log: Log, *,
                            enabled_clouds: list[str], retry_until_up: bool = False,
                            note: Log | None = None) -> ConnectedCluster:
    """Bring ``cluster_name`` UP, trying the plan's best candidate and failing over.

    Each failure blocks what its class says (zone, region or cloud) and the task is planned
    again without it, until a placement comes up or nothing is left. Every attempt is reported
    through ``note`` as it happens (lines the user keeps, unlike ``log``'s passing status);
    the final error lists them all. ``retry_until_up`` starts the whole failover again after a
    growing wait instead of giving up.
    """
    note = note or log
    if existing is not None:
        try:
            return provision_once(existing, log, is_new=False)
        except errors.ProvisionError as exc:
            raise errors.ResourcesUnavailableError(
                f"Failed to bring cluster {cluster_name!r} back up in "
                f"{existing.cloud} ({existing.zone or existing.region}): {exc}\n"
                f"An existing cluster does not fail over; retry with `sky start {cluster_name}`.",
                history=[exc], no_failover=True) from exc
    minimize = getattr(plan, "minimize", "cost")
    rounds = 0
    while True:
        history: list[Exception] = []
        attempts: list[str] = []
        conn = _failover_round(task, plan, cluster_name, log, note, enabled_clouds, minimize,
                               history, attempts)
        if conn is not None:
            return conn
        if not retry_until_up:
            raise errors.ResourcesUnavailableError(
                f"Failed to provision all possible launchable resources for {cluster_name!r}.\n"
                "Attempts:\n" + "\n".join(attempts)
                + "\nTo keep retrying, use --retry-until-up.", history=history)
        wait = retry_wait_seconds(rounds)
        rounds += 1
        note(f"All {len(attempts)} placements failed; retrying in {wait:g} s "
            f"(--retry-until-up, round {rounds + 1}).")
        time.sleep(wait)
        plan = plan_task(task, enabled_clouds=enabled_clouds, cluster_name=cluster_name,
                         minimize=minimize)


def _failover_round(task: Any, plan: Plan, cluster_name: str, log: Log, note: Log,
                    enabled_clouds: list[str], minimize: str, history: list[Exception],
                    attempts: list[str]) -> ConnectedCluster | None:
    """Try placements best first until one comes up (its connection) or none is left (None);
    ``history``/``attempts`` collect each failure as an error and as a line of the report."""
    blocked: list[Blocked] = []
    while True:
        assert plan.best is not None
        cand = plan.best
        where = f"{cand.display_name or cand.cloud} ({cand.zone or cand.region})"
        number = len(attempts) + 1
        note(f"Attempt {number}: {cand.offering.instance_type}"
            f"{' [Spot]' if cand.use_spot else ''} on {where}")
        failure: Exception | None = None
        block: Blocked | None = None
        for attempt in range(_TRANSIENT_RETRIES):
            record = _new_record(cand, cluster_name, task)
            try:
                return provision_once(record, log, is_new=True)
            except errors.TransientError as exc:
                failure = exc
                if attempt + 1 < _TRANSIENT_RETRIES:
                    wait = transient_wait_seconds(attempt)
                    note(f"Transient error on {where}, retrying in {wait:g} s "
                        f"({attempt + 1}/{_TRANSIENT_RETRIES}): {exc}")
                    time.sleep(wait)
            except errors.ProvisionError as exc:
                failure = exc
                block = _blocked_for(exc, cand)
                break
        assert failure is not None
        block = block or Blocked(cand.cloud, cand.region, cand.zone)
        _locate(failure, cand)
        history.append(failure)
        blocked.append(block)
        attempts.append(f"  {number}. {where} {cand.offering.instance_type}: "
                        f"{type(failure).__name__}: {failure} -> blocked {block.describe()}")
        note(f"Failed on {where}: {type(failure).__name__}: {str(failure).rstrip('.')}. "
            f"Blocking {block.describe()} and trying other placements.")
        try:
            plan = plan_task(task, enabled_clouds=enabled_clouds, blocked=blocked,
                             cluster_name=cluster_name, minimize=minimize)
        except errors.ResourcesUnavailableError:
            return None


def _locate(error: Exception, cand: Candidate) -> None:
    """Fill in where a provider error happened when the provider did not say."""
    if isinstance(error, errors.ProvisionError):
        error.cloud = error.cloud or cand.cloud
        error.region = error.region or cand.region
        error.zone = error.zone or cand.zone


def _env_seconds(name: str, default: float) -> float:
    try:
        return max(0.0, float(os.environ.get(name, "")))
    except ValueError:
        return default


def retry_wait_seconds(round_: int) -> float:
    """Wait before the ``round_``-th (0-based) retry of a whole failover (--retry-until-up):
    30 s doubling up to 10× that. ``SKYCORE_RETRY_BACKOFF_SECONDS`` replaces the 30 s base
    (tests set it tiny instead of sleeping)."""
    base = _env_seconds("SKYCORE_RETRY_BACKOFF_SECONDS", 30.0)
    return min(base * 2 ** round_, base * 10)


def transient_wait_seconds(attempt: int) -> float:
    """Pause before retrying a placement after a TransientError: 0.5 s doubling, at most 5 s;
    scaled down with ``SKYCORE_RETRY_BACKOFF_SECONDS`` when that is below 0.5 s."""
    base = min(0.5, _env_seconds("SKYCORE_RETRY_BACKOFF_SECONDS", 0.5))
    return min(base * 2 ** attempt, base * 10)
