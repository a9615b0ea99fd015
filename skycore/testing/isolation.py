"""Helpers that keep tests from touching the user's state or leaving processes behind."""

from __future__ import annotations

import json
import os
from pathlib import Path

from skycore.utils import procs

NODE_MARK_ENV = "SKYCORE_NODE_MARK"


def local_cluster_uid(sky_home: Path, cluster_name_on_cloud: str) -> str | None:
    path = sky_home / "local" / cluster_name_on_cloud / "cluster.json"
    try:
        return json.loads(path.read_text())["uid"]
    except (OSError, ValueError, KeyError):
        return None


def local_cluster_pids(uid: str) -> set[int]:
    """Live PIDs of every process a local cluster's nodes started (Ray, skylet, jobs)."""
    return procs.alive(procs.find_marked(NODE_MARK_ENV, f"{uid}-"))


def kill_local_clusters(sky_home: Path) -> None:
    """Teardown safety net: delete every local cluster under ``sky_home`` (processes by PID,
    node directories, Ray temp dirs, address leases), whatever state a failed test left."""
    from skycore.drivers.local import lifecycle, nodes

    root = sky_home / "local"
    if not root.is_dir():
        return
    for entry in root.iterdir():
        cluster = nodes.load(entry.name, root)
        if cluster is not None:
            lifecycle.delete(cluster)


def isolated_env(sky_home: Path) -> dict[str, str]:
    """Environment for a subprocess `sky` that uses ``sky_home`` and no real cloud."""
    env = dict(os.environ)
    env.update({"SKY_HOME": str(sky_home), "RAY_USAGE_STATS_ENABLED": "0",
                "AWS_EC2_METADATA_DISABLED": "true"})
    return env
