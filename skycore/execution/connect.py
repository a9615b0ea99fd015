"""Turn a persisted cluster record into a :class:`ConnectedCluster` (live runners)."""

from __future__ import annotations

import time
from typing import Any

from skycore.interfaces.backend import ConnectedCluster
from skycore.plugins import get_manager
from skycore.state.clusters import ClusterRecord, ClusterStatus, remove, set_status

PROVIDER_CALL_TIMEOUT = 600.0


def deadline(seconds: float = PROVIDER_CALL_TIMEOUT) -> float:
    return time.monotonic() + seconds


def connect(record: ClusterRecord) -> ConnectedCluster:
    provisioner = get_manager().provisioner(record.cloud)
    handle = record.handle
    info = provisioner.get_cluster_info(handle["cluster_name_on_cloud"],
                                        handle["provider_config"], deadline())
    return ConnectedCluster(name=record.name, handle=handle,
                            runners=provisioner.get_command_runners(info),
                            runtime=provisioner.node_runtime(info),
                            extras={"cluster_info": info})


def backend() -> Any:
    return get_manager().backend("ray-skylet")


def change_status(record: ClusterRecord, status: ClusterStatus, **changes: Any) -> None:
    """Persist a status change and tell the plugins about it."""
    old = set_status(record.name, status, **changes)
    record.status = status
    if old != status:
        get_manager().notify_cluster_status_changed(record.name, old.value if old else None,
                                                    status.value, record.cloud)


def forget(record: ClusterRecord) -> None:
    """Remove the record (the cluster is gone) and tell the plugins about it."""
    old = remove(record.name)
    get_manager().notify_cluster_status_changed(record.name, old.value if old else None, None,
                                                record.cloud)
