"""Capability vocabulary shared by the optimizer and the conformance kit.

A cloud declares the features it really has; the optimizer drops clouds that lack a feature a
task needs, and the conformance kit runs the tests of every declared feature. So a declared
feature is a tested one, and an undeclared one is never offered.
"""

from __future__ import annotations

import enum


class Feature(str, enum.Enum):
    """What a cloud (provider) can do. Names follow SkyPilot's CloudImplementationFeatures."""

    STOP = "STOP"  # stop and restart a cluster, keeping its disks
    MULTI_NODE = "MULTI_NODE"  # clusters of more than one node
    SPOT_INSTANCE = "SPOT_INSTANCE"  # preemptible capacity
    OPEN_PORTS = "OPEN_PORTS"  # expose ports to the outside
    AUTOSTOP = "AUTOSTOP"  # the cluster stops itself when idle
    AUTODOWN = "AUTODOWN"  # the cluster tears itself down when idle
    IMAGE_ID = "IMAGE_ID"  # custom machine image
    DOCKER_IMAGE = "DOCKER_IMAGE"  # run the task inside a container image
    CUSTOM_DISK_TIER = "CUSTOM_DISK_TIER"
    CUSTOM_NETWORK_TIER = "CUSTOM_NETWORK_TIER"
    STORAGE_MOUNTING = "STORAGE_MOUNTING"
    CLONE_DISK_FROM_CLUSTER = "CLONE_DISK_FROM_CLUSTER"
    HOST_CONTROLLERS = "HOST_CONTROLLERS"
    HIGH_AVAILABILITY_CONTROLLERS = "HIGH_AVAILABILITY_CONTROLLERS"
    AUTO_TERMINATE = "AUTO_TERMINATE"
    CUSTOM_MULTI_NETWORK = "CUSTOM_MULTI_NETWORK"
    LOCAL_DISK = "LOCAL_DISK"

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return self.value
