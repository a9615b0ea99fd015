"""Egress between tasks placed on different clouds: what moving their data costs, and how long.

SkyPilot's model (facts §5.7): data crossing clouds is charged by the *source* cloud and moves at
10 Gbps; inside one cloud it is free and instant. The amount on an edge u → v is u's declared
``outputs`` size; for a task without a parent it is its ``inputs`` size, coming from the cloud
that owns the bucket URL.

The price comes from the cloud object: a ``get_egress_cost(gb)`` method when the plugin has
tiered pricing, else the flat ``egress_cost_per_gb`` attribute of the Cloud interface, else 0.
"""

from __future__ import annotations

from typing import Any

#: bandwidth between clouds assumed by SkyPilot's optimizer
EGRESS_GBPS = 10.0

#: bucket URL scheme → the cloud that serves it (SkyPilot's ``get_cloud_from_url`` subset)
_SCHEME_CLOUD = {"s3": "aws", "gs": "gcp", "r2": "cloudflare", "cos": "ibm", "oci": "oci",
                 "az": "azure", "nebius": "nebius"}


def egress_time_hours(gigabytes: float) -> float:
    """Hours to move ``gigabytes`` between clouds at :data:`EGRESS_GBPS`."""
    return gigabytes * 8 / EGRESS_GBPS / 3600


def egress_cost(src_cloud: Any, gigabytes: float) -> float:
    """USD to move ``gigabytes`` out of ``src_cloud`` (a Cloud object, or None = free)."""
    if src_cloud is None or gigabytes <= 0:
        return 0.0
    tiered = getattr(src_cloud, "get_egress_cost", None)
    if callable(tiered):
        return float(tiered(gigabytes))
    return float(getattr(src_cloud, "egress_cost_per_gb", 0.0) or 0.0) * gigabytes


def edge_egress(src_cloud_name: str | None, dst_cloud_name: str | None, gigabytes: float,
                cloud_of: Any) -> tuple[float, float]:
    """(cost, hours) of moving ``gigabytes`` from one placement to another. ``cloud_of(name)``
    gives the Cloud object (or None when not installed). Same cloud or an unknown end: free."""
    if (gigabytes <= 0 or src_cloud_name is None or dst_cloud_name is None
            or src_cloud_name == dst_cloud_name):
        return 0.0, 0.0
    return egress_cost(cloud_of(src_cloud_name), gigabytes), egress_time_hours(gigabytes)


def outputs_gigabytes(task: Any) -> float:
    """Declared size of what the task hands to its children (``outputs: {path: GB}``)."""
    return _declared_size(getattr(task, "outputs", None))


def inputs_source(task: Any) -> tuple[str | None, float]:
    """(cloud that holds the task's ``inputs`` bucket, size in GB); (None, 0) without inputs."""
    inputs = getattr(task, "inputs", None)
    if not inputs:
        return None, 0.0
    url = next(iter(inputs))
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    cloud = _SCHEME_CLOUD.get(scheme)
    if cloud is None and scheme == "https" and ".blob.core.windows.net" in url:
        cloud = "azure"
    return cloud, _declared_size(inputs)


def _declared_size(io: Any) -> float:
    if not io:
        return 0.0
    return float(sum(float(v) for v in io.values()))
