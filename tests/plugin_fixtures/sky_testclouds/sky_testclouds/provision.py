"""A provisioner that never creates anything: it fails the way a real cloud would.

``SKYCORE_TESTCLOUDS_FAULTS`` chooses the failure per placement, as comma-separated
``<target>=<kind>`` rules, most specific target first:

* target: ``<cloud>:<zone>``, ``<cloud>:<region>``, ``<cloud>`` or ``*``;
* kind: ``capacity`` (:class:`~skycore.errors.CapacityError`, failover blocks the zone),
  ``quota`` (:class:`~skycore.errors.QuotaError`, the region), ``auth``
  (:class:`~skycore.errors.AuthError`, the cloud), ``unsupported``
  (:class:`~skycore.errors.ProviderNotSupportedError`, the cloud), ``transient``
  (:class:`~skycore.errors.TransientError`, retry).

A placement no rule matches raises ``ProviderNotSupportedError`` ("test clouds cannot provision
nodes"), which blocks the cloud. Every attempt is appended to :data:`ATTEMPTS` and, when
``SKYCORE_TESTCLOUDS_LOG`` names a file, written to it as one JSON line (the launch may run in
another process), so tests can check the failover order.
"""

from __future__ import annotations

import json
import os
from typing import Any

from sky_testclouds import ENV_ATTEMPT_LOG, ENV_FAULTS
from skycore import errors
from skycore.interfaces.provision import (
    ClusterInfo,
    InstanceStatus,
    NodeRuntime,
    ProvisionConfig,
    Provisioner,
    ProvisionRecord,
)

KINDS: dict[str, type[errors.ProvisionError]] = {
    "capacity": errors.CapacityError,
    "quota": errors.QuotaError,
    "auth": errors.AuthError,
    "unsupported": errors.ProviderNotSupportedError,
    "transient": errors.TransientError,
}

#: every run_instances call of this process: dicts with cloud, region, zone, instance_type, kind
ATTEMPTS: list[dict[str, Any]] = []


def parse_faults(text: str) -> dict[str, str]:
    """``"gcp:us-central1-a=capacity, aws=auth"`` -> {target: kind}; raises on a bad rule."""
    rules: dict[str, str] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        target, sep, kind = item.partition("=")
        kind = kind.strip().lower()
        if not sep or kind not in KINDS:
            raise errors.TaskValidationError(
                f"bad fault rule {item!r}: expected <cloud>[:<region>|:<zone>]=<kind> with kind "
                f"one of {', '.join(KINDS)}.", field=ENV_FAULTS)
        rules[target.strip().lower()] = kind
    return rules


def fault_for(cloud: str, region: str | None, zone: str | None) -> str | None:
    """The fault kind for a placement under the current environment (None: no rule)."""
    rules = parse_faults(os.environ.get(ENV_FAULTS, ""))
    for target in (f"{cloud}:{zone}" if zone else None, f"{cloud}:{region}" if region else None,
                   cloud, "*"):
        if target is not None and target.lower() in rules:
            return rules[target.lower()]
    return None


class FaultProvisioner(Provisioner):
    """Raises the configured classified error for every placement; creates nothing."""

    def __init__(self, cloud_name: str) -> None:
        self.cloud_name = cloud_name

    def run_instances(self, config: ProvisionConfig, deadline: float) -> ProvisionRecord:
        kind = fault_for(self.cloud_name, config.region, config.zone)
        attempt = {"cloud": self.cloud_name, "region": config.region, "zone": config.zone,
                   "instance_type": config.instance_type, "kind": kind or "unsupported"}
        ATTEMPTS.append(attempt)
        log = os.environ.get(ENV_ATTEMPT_LOG)
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(json.dumps(attempt) + "\n")
        where = config.zone or config.region
        if kind is None:
            raise errors.ProviderNotSupportedError(
                f"{self.cloud_name} is a test cloud of sky-testclouds: it has catalogs but cannot "
                f"provision nodes (set {ENV_FAULTS} to inject failures).",
                cloud=self.cloud_name, region=config.region, zone=config.zone)
        messages = {
            "capacity": f"No capacity for {config.instance_type} in {where} (injected).",
            "quota": f"Quota exceeded for {config.instance_type} in {config.region} (injected).",
            "auth": f"Credentials of {self.cloud_name} rejected (injected).",
            "unsupported": f"{self.cloud_name} cannot launch {config.instance_type} (injected).",
            "transient": f"Throttled by {self.cloud_name} in {where} (injected).",
        }
        raise KINDS[kind](messages[kind], cloud=self.cloud_name, region=config.region,
                          zone=config.zone)

    def query_instances(self, cluster_name_on_cloud: str, provider_config: dict[str, Any],
                        deadline: float) -> dict[str, InstanceStatus]:
        return {}  # nothing is ever created

    def get_cluster_info(self, cluster_name_on_cloud: str, provider_config: dict[str, Any],
                         deadline: float) -> ClusterInfo:
        raise errors.ProviderNotSupportedError(
            f"{self.cloud_name} (sky-testclouds) has no nodes.", cloud=self.cloud_name)

    def stop_instances(self, cluster_name_on_cloud: str, provider_config: dict[str, Any],
                       deadline: float) -> None:
        return None

    def terminate_instances(self, cluster_name_on_cloud: str, provider_config: dict[str, Any],
                            deadline: float) -> None:
        return None

    def get_command_runners(self, cluster_info: ClusterInfo) -> list[Any]:
        raise errors.ProviderNotSupportedError(
            f"{self.cloud_name} (sky-testclouds) has no nodes.", cloud=self.cloud_name)

    def node_runtime(self, cluster_info: ClusterInfo) -> NodeRuntime:
        raise errors.ProviderNotSupportedError(
            f"{self.cloud_name} (sky-testclouds) has no nodes.", cloud=self.cloud_name)


def for_gcp() -> FaultProvisioner:
    return FaultProvisioner("gcp")


def for_aws() -> FaultProvisioner:
    return FaultProvisioner("aws")


def for_runpod() -> FaultProvisioner:
    return FaultProvisioner("runpod")


def for_lambda() -> FaultProvisioner:
    return FaultProvisioner("lambda")
