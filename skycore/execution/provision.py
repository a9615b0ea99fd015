"""PROVISION stage: bring a cluster UP, failing over across zones, regions and clouds.

The provider's classified error decides how much of the search space a failure rules out
(:mod:`skycore.errors`); the planner is re-run with that blocked until nothing is left, and the
final error carries the whole history. An existing cluster never fails over: it is brought back
where it lives.
"""

from __future__ import annotations

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
                            enabled_clouds: list[str], retry_until_up: bool = False
                            ) -> ConnectedCluster:
    """Bring ``cluster_name`` UP, trying the plan's best candidate and failing over."""
    if existing is not None:
        try:
            return provision_once(existing, log, is_new=False)
        except errors.ProvisionError as exc:
            raise errors.ResourcesUnavailableError(
                f"Failed to bring cluster {cluster_name!r} back up in "
                f"{existing.cloud} ({existing.zone or existing.region}): {exc}\n"
                f"An existing cluster does not fail over; retry with `sky start {cluster_name}`.",
                history=[exc], no_failover=True) from exc
    blocked: list[Blocked] = []
    history: list[Exception] = []
    while True:
        assert plan.best is not None
        cand = plan.best
        for attempt in range(_TRANSIENT_RETRIES):
            record = _new_record(cand, cluster_name, task)
            try:
                return provision_once(record, log, is_new=True)
            except errors.TransientError as exc:
                history.append(exc)
                log(f"Transient error on {cand.cloud} ({cand.zone or cand.region}), "
                    f"retrying ({attempt + 1}/{_TRANSIENT_RETRIES}): {exc}")
                time.sleep(min(5.0, 0.5 * 2 ** attempt))
            except errors.ProvisionError as exc:
                history.append(exc)
                block = _blocked_for(exc, cand) or Blocked(cand.cloud, cand.region, cand.zone)
                blocked.append(block)
                log(f"Failed on {cand.cloud} ({cand.zone or cand.region}): "
                    f"{type(exc).__name__}: {exc}. Trying other placements.")
                break
        else:
            blocked.append(Blocked(cand.cloud, cand.region, cand.zone))
        try:
            plan = plan_task(task, enabled_clouds=enabled_clouds, blocked=blocked,
                             cluster_name=cluster_name)
        except errors.ResourcesUnavailableError:
            if retry_until_up:
                log("All placements failed; retrying in 30 s (--retry-until-up).")
                time.sleep(30)
                blocked.clear()
                plan = plan_task(task, enabled_clouds=enabled_clouds, cluster_name=cluster_name)
                continue
            attempts = "\n".join(f"  {i + 1}. {type(e).__name__}: {e}"
                                 for i, e in enumerate(history))
            raise errors.ResourcesUnavailableError(
                f"Failed to provision all possible launchable resources for {cluster_name!r}.\n"
                f"Attempts:\n{attempts}\nTo keep retrying, use --retry-until-up.",
                history=history) from None
