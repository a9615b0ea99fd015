"""The Provisioner protocol: create, find, stop and delete the nodes of a cluster.

The core calls these in order: bootstrap → run_instances → wait_instances → get_cluster_info →
(runtime setup through the command runners) and later query_instances / stop / terminate.
Every call takes a ``deadline`` (``time.monotonic()`` value) and raises the classified errors of
:mod:`skycore.errors`:

* :class:`~skycore.errors.CapacityError` – no capacity in that zone now (failover: next zone)
* :class:`~skycore.errors.QuotaError` – the region's quota is used up (failover: next region)
* :class:`~skycore.errors.AuthError`, :class:`~skycore.errors.ProviderNotSupportedError` – the
  cloud cannot serve this at all (failover: next cloud)
* :class:`~skycore.errors.TransientError` – retry the same placement
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass, field
from typing import Any

from skycore.interfaces.command_runner import CommandRunner


class InstanceStatus(str, enum.Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    TERMINATED = "TERMINATED"


@dataclass
class ProvisionConfig:
    """What to provision. ``provider_config`` is the provider's own dict, persisted in the
    cluster handle and given back on every later call (put region, project, key names there)."""

    cluster_name: str
    cluster_name_on_cloud: str
    region: str
    zone: str | None
    count: int
    instance_type: str
    resources: dict[str, Any]
    provider_config: dict[str, Any] = field(default_factory=dict)
    resume_stopped_nodes: bool = True
    ports_to_open: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class ProvisionRecord:
    provider_name: str
    region: str
    zone: str | None
    cluster_name_on_cloud: str
    head_instance_id: str
    created_instance_ids: list[str] = field(default_factory=list)
    resumed_instance_ids: list[str] = field(default_factory=list)


@dataclass
class InstanceInfo:
    instance_id: str
    internal_ip: str
    external_ip: str | None = None
    ssh_port: int = 22
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class ClusterInfo:
    """The live nodes of a cluster, head first (rank order is this list's order)."""

    provider_name: str
    head_instance_id: str
    instances: list[InstanceInfo]
    provider_config: dict[str, Any] = field(default_factory=dict)
    ssh_user: str | None = None

    @property
    def head(self) -> InstanceInfo:
        return self.instances[0]

    @property
    def internal_ips(self) -> list[str]:
        return [i.internal_ip for i in self.instances]


@dataclass(frozen=True)
class NodeRuntime:
    """How the runtime (Python with ray + skylet) is reached on the nodes.

    ``python`` is the interpreter that has skylet and ray importable; ``None`` means the backend
    must install the runtime first. ``env`` is added to every runtime command (e.g. PATH).
    ``ray_cpus``/``ray_gpus`` are the node's schedulable resources.
    """

    python: str | None
    ray_cpus: float
    ray_gpus: float = 0.0
    accelerators: dict[str, float] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    #: short directory for Ray's sockets (AF_UNIX paths are limited to 107 bytes)
    ray_temp_dir: str | None = None
    #: Ray object store size per node in bytes (None: Ray's default, 30% of memory)
    ray_object_store_bytes: int | None = None


class Provisioner(abc.ABC):
    """A cloud's node lifecycle. One instance serves every cluster of that cloud."""

    cloud_name: str = ""

    def bootstrap(self, config: ProvisionConfig, deadline: float) -> ProvisionConfig:
        """Prepare networks, keys, IAM; return the (possibly enriched) config. Cacheable."""
        return config

    @abc.abstractmethod
    def run_instances(self, config: ProvisionConfig, deadline: float) -> ProvisionRecord:
        """Create or resume nodes until ``config.count`` exist. Idempotent: calling it again for
        an UP cluster creates nothing."""

    def wait_instances(self, cluster_name_on_cloud: str, provider_config: dict[str, Any],
                       state: InstanceStatus, deadline: float) -> None:
        """Block until every node reaches ``state`` (default: nothing to wait for)."""

    @abc.abstractmethod
    def query_instances(self, cluster_name_on_cloud: str, provider_config: dict[str, Any],
                        deadline: float) -> dict[str, InstanceStatus]:
        """Status of every non-terminated node of the cluster (empty: the cluster is gone)."""

    @abc.abstractmethod
    def get_cluster_info(self, cluster_name_on_cloud: str, provider_config: dict[str, Any],
                         deadline: float) -> ClusterInfo:
        """Addresses of the running nodes, head first."""

    @abc.abstractmethod
    def stop_instances(self, cluster_name_on_cloud: str, provider_config: dict[str, Any],
                       deadline: float) -> None:
        """Stop every node, keeping disks (only called when the cloud declares STOP)."""

    @abc.abstractmethod
    def terminate_instances(self, cluster_name_on_cloud: str, provider_config: dict[str, Any],
                            deadline: float) -> None:
        """Delete every node and everything the cluster created. Idempotent."""

    def open_ports(self, cluster_name_on_cloud: str, ports: list[str],
                   provider_config: dict[str, Any], deadline: float) -> None:
        """Expose ``ports`` (only called when the cloud declares OPEN_PORTS)."""

    def cleanup_ports(self, cluster_name_on_cloud: str, provider_config: dict[str, Any],
                      deadline: float) -> None:
        """Undo :meth:`open_ports` on teardown."""

    @abc.abstractmethod
    def get_command_runners(self, cluster_info: ClusterInfo) -> list[CommandRunner]:
        """One runner per node, in ``cluster_info.instances`` order (head first)."""

    @abc.abstractmethod
    def node_runtime(self, cluster_info: ClusterInfo) -> NodeRuntime:
        """How the runtime is reached on these nodes (see :class:`NodeRuntime`)."""

    def self_stop_commands(self, cluster_name_on_cloud: str,
                           provider_config: dict[str, Any]) -> tuple[str, str]:
        """Shell commands that, run on the head node, stop / terminate this cluster.

        skylet runs them for autostop, so a cluster can stop itself with no server around.
        Return ``("", "")`` when the provider cannot do it (autostop is then refused).
        """
        return ("", "")
