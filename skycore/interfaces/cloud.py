"""The Cloud protocol: identity, capabilities, geography and credentials of a provider."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from skycore.features import Feature


@dataclass(frozen=True)
class Zone:
    name: str
    region: str


@dataclass(frozen=True)
class Region:
    name: str
    zones: tuple[Zone, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class CredentialCheck:
    """Result of :meth:`Cloud.check_credentials`: ``ok`` and, when not ok, a reason with the fix."""

    ok: bool
    reason: str = ""


class Cloud:
    """Base class for a provider's cloud object (built by ``CloudSpec.factory``).

    Override the class attributes and the methods that differ; the defaults describe a cloud with
    no zones and no optional features. Methods are cheap and synchronous: they run while the
    optimizer plans, so network calls belong in the provisioner, not here (credential checks are
    the exception and are only run by ``sky check`` / on first use).
    """

    #: canonical lower-case name used in ``infra:`` and the state DB
    name: str = ""
    display_name: str = ""
    #: features this cloud really has (a declared feature is a conformance-tested one)
    features: frozenset[Feature] = frozenset()
    #: longest cluster name the provider accepts (names are shortened with a hash beyond it)
    max_cluster_name_length: int | None = None
    #: whether zones are a real placement dimension (failover by zone)
    has_zones: bool = False
    #: USD per GB moved out of this cloud to another one (0 for local drivers); the optimizer
    #: charges it on pipeline edges whose tasks land on different clouds
    egress_cost_per_gb: float = 0.0

    def get_egress_cost(self, gigabytes: float) -> float:
        """USD to move ``gigabytes`` out of this cloud. Override for tiered pricing."""
        return self.egress_cost_per_gb * gigabytes
    #: what a task that names no cpus/memory/instance/accelerators gets (SkyPilot's clouds use
    #: ``8+`` vCPUs and ``4x`` memory); None = any offering, cheapest first
    default_cpus: str | None = None
    default_memory: str | None = None

    def unsupported_features(self, resources: Any, num_nodes: int = 1) -> dict[Feature, str]:
        """Map each feature the request needs but this cloud lacks to a human reason.

        The default derives it from :attr:`features`; override when support depends on the
        resources (e.g. spot instances that cannot stop).
        """
        needed = required_features(resources, num_nodes)
        return {f: f"{self.display_name or self.name} does not support {f.value}."
                for f in needed if f not in self.features}

    def regions(self) -> list[Region]:
        """Regions (with zones) this cloud offers; used to validate ``infra:``."""
        return []

    def check_credentials(self) -> CredentialCheck:
        """Whether this machine can use the cloud now (never raises)."""
        return CredentialCheck(True)

    def validate_labels(self, labels: dict[str, str]) -> None:
        """Raise :class:`skycore.errors.TaskValidationError` for labels the cloud rejects."""

    def __repr__(self) -> str:
        return self.display_name or self.name


def required_features(resources: Any, num_nodes: int = 1) -> set[Feature]:
    """Features a resources request implies (shared by the optimizer and the conformance kit)."""
    needed: set[Feature] = set()
    if num_nodes > 1:
        needed.add(Feature.MULTI_NODE)
    if getattr(resources, "use_spot", False):
        needed.add(Feature.SPOT_INSTANCE)
    if getattr(resources, "ports", None):
        needed.add(Feature.OPEN_PORTS)
    image_id = getattr(resources, "image_id", None)
    if image_id:
        images = image_id.values() if isinstance(image_id, dict) else [image_id]
        for image in images:
            if str(image).startswith("docker:"):
                needed.add(Feature.DOCKER_IMAGE)
            else:
                needed.add(Feature.IMAGE_ID)
    if getattr(resources, "disk_tier", None) not in (None, "medium", "best"):
        needed.add(Feature.CUSTOM_DISK_TIER)
    if getattr(resources, "network_tier", None) == "best":
        needed.add(Feature.CUSTOM_NETWORK_TIER)
    if getattr(resources, "local_disk", None):
        needed.add(Feature.LOCAL_DISK)
    return needed
