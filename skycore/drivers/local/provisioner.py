"""Provisioner of the local driver.

A node "instance" is a home directory plus a leased loopback address; its processes (Ray,
skylet, jobs) carry the node's marker variable. Stopping a node ends its processes and keeps its
directory; terminating also removes the directory and releases the address.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from typing import Any

from skycore import errors
from skycore.drivers.local import catalog, lifecycle, nodes
from skycore.drivers.local.runner import LocalRunner
from skycore.interfaces.command_runner import CommandRunner
from skycore.interfaces.provision import (
    ClusterInfo,
    InstanceInfo,
    InstanceStatus,
    NodeRuntime,
    ProvisionConfig,
    Provisioner,
    ProvisionRecord,
)


def _cluster_root(provider_config: dict[str, Any]) -> Any:
    root = provider_config.get("clusters_root")
    from pathlib import Path
    return Path(root) if root else None


class LocalProvisioner(Provisioner):
    cloud_name = "local"

    def bootstrap(self, config: ProvisionConfig, deadline: float) -> ProvisionConfig:
        config.provider_config.setdefault("clusters_root", str(nodes.clusters_root()))
        return config

    def run_instances(self, config: ProvisionConfig, deadline: float) -> ProvisionRecord:
        offering = catalog.load_offerings()[0]
        if config.instance_type != offering.instance_type:
            raise errors.ProviderNotSupportedError(
                f"Instance type {config.instance_type!r} does not exist on this machine "
                f"(it offers {offering.instance_type!r}).", cloud="local")
        with nodes.cluster_lock(config.cluster_name_on_cloud):
            cluster = nodes.load(config.cluster_name_on_cloud)
            if cluster is None:
                cluster = nodes.new_cluster(config.cluster_name_on_cloud)
            created, resumed = [], []
            for node in cluster.nodes:
                if node.status != "RUNNING":
                    node.status = "RUNNING"
                    resumed.append(node.node_id)
            while len(cluster.nodes) < config.count:
                created.append(nodes.add_node(cluster).node_id)
            cluster.save()
        return ProvisionRecord(provider_name="local", region=config.region, zone=None,
                               cluster_name_on_cloud=config.cluster_name_on_cloud,
                               head_instance_id=cluster.nodes[0].node_id,
                               created_instance_ids=created, resumed_instance_ids=resumed)

    def query_instances(self, cluster_name_on_cloud: str, provider_config: dict[str, Any],
                        deadline: float) -> dict[str, InstanceStatus]:
        cluster = nodes.load(cluster_name_on_cloud, _cluster_root(provider_config))
        if cluster is None:
            return {}
        return {n.node_id: InstanceStatus(n.status) for n in cluster.nodes}

    def get_cluster_info(self, cluster_name_on_cloud: str, provider_config: dict[str, Any],
                         deadline: float) -> ClusterInfo:
        cluster = self._require(cluster_name_on_cloud, provider_config)
        instances = [InstanceInfo(instance_id=n.node_id, internal_ip=n.ip,
                                  tags={"home": n.home, "mark": cluster.node_mark(n.rank)})
                     for n in cluster.nodes if n.status == "RUNNING"]
        return ClusterInfo(provider_name="local", head_instance_id=cluster.nodes[0].node_id,
                           instances=instances,
                           provider_config={**provider_config, "uid": cluster.uid,
                                            "ray_temp_dir": cluster.ray_temp_dir})

    def stop_instances(self, cluster_name_on_cloud: str, provider_config: dict[str, Any],
                       deadline: float) -> None:
        self._under_lock(cluster_name_on_cloud, provider_config, lifecycle.stop)

    def terminate_instances(self, cluster_name_on_cloud: str, provider_config: dict[str, Any],
                            deadline: float) -> None:
        self._under_lock(cluster_name_on_cloud, provider_config, lifecycle.delete)

    @staticmethod
    def _under_lock(name: str, provider_config: dict[str, Any],
                    action: Callable[[nodes.LocalCluster], None]) -> None:
        """Run ``action`` on the cluster under its lock; a cluster already gone is a no-op."""
        with nodes.cluster_lock(name):
            cluster = nodes.load(name, _cluster_root(provider_config))
            if cluster is not None:
                action(cluster)

    def get_command_runners(self, cluster_info: ClusterInfo) -> list[CommandRunner]:
        return [LocalRunner(i.instance_id, i.internal_ip, i.tags["home"], i.tags["mark"])
                for i in cluster_info.instances]

    def node_runtime(self, cluster_info: ClusterInfo) -> NodeRuntime:
        offering = catalog.load_offerings()[0]
        accelerators = ({offering.accelerator_name: offering.accelerator_count}
                        if offering.accelerator_name else {})
        return NodeRuntime(python=sys.executable, ray_cpus=offering.vcpus,
                           ray_gpus=offering.accelerator_count if accelerators else 0.0,
                           accelerators=accelerators,
                           ray_temp_dir=cluster_info.provider_config.get("ray_temp_dir"),
                           # nodes share this machine's memory: keep each object store small
                           ray_object_store_bytes=512 * 1024 * 1024)

    def self_stop_commands(self, cluster_name_on_cloud: str,
                           provider_config: dict[str, Any]) -> tuple[str, str]:
        root = provider_config.get("clusters_root") or str(nodes.clusters_root())
        base = [sys.executable, "-m", "skycore.drivers.local.ctl", "--clusters-root", root,
                "--cluster", cluster_name_on_cloud]
        env = f"SKY_HOME={shlex.quote(os.environ.get('SKY_HOME', ''))} " if os.environ.get(
            "SKY_HOME") else ""
        return (env + shlex.join(base + ["stop"]), env + shlex.join(base + ["down"]))

    @staticmethod
    def _require(name: str, provider_config: dict[str, Any]) -> nodes.LocalCluster:
        cluster = nodes.load(name, _cluster_root(provider_config))
        if cluster is None:
            raise errors.ClusterDoesNotExistError(f"Local cluster {name!r} has no nodes.")
        return cluster
