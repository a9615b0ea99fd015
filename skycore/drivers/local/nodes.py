"""On-disk state of local clusters and machine-wide loopback address allocation.

Layout: ``$SKY_HOME/local/<cluster_name_on_cloud>/cluster.json`` plus one home directory per node
(``node-0`` is the head). Addresses are leased machine-wide (not per SKY_HOME) in
``/tmp/skycore-local-ips`` so two users, test sessions or SKY_HOMEs never hand out the same
address to two live clusters.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import filelock

from skycore import paths

#: machine-wide lease directory for loopback addresses
IP_LEASE_DIR = Path(os.environ.get("SKYCORE_LOCAL_IP_LEASES", "/tmp/skycore-local-ips"))
#: 127.0.0.1 is never used (Ray replaces it with the VM's address); .240-.254 stay free for tests
_IP_HOSTS = range(2, 240)
_IP_THIRD_OCTETS = range(0, 4)
NODE_MARK_ENV = "SKYCORE_NODE_MARK"


@dataclass
class NodeState:
    node_id: str
    rank: int
    ip: str
    home: str
    status: str = "RUNNING"  # RUNNING | STOPPED


@dataclass
class LocalCluster:
    name_on_cloud: str
    uid: str
    nodes: list[NodeState] = field(default_factory=list)
    ray_temp_dir: str = ""
    #: directory holding all local clusters of this SKY_HOME (not persisted: where we loaded from)
    root: str = ""

    @property
    def directory(self) -> Path:
        return Path(self.root or clusters_root()) / self.name_on_cloud

    def node_mark(self, rank: int | None = None) -> str:
        """Marker value of a node's processes; with ``rank=None`` the prefix of all nodes."""
        return f"{self.uid}-" if rank is None else f"{self.uid}-{rank}"

    def save(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        data = {"name_on_cloud": self.name_on_cloud, "uid": self.uid,
                "ray_temp_dir": self.ray_temp_dir, "nodes": [asdict(n) for n in self.nodes]}
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".cluster.json.")
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, self.directory / "cluster.json")


def clusters_root() -> Path:
    return paths.sub_dir("local")


def cluster_lock(name_on_cloud: str) -> filelock.FileLock:
    return filelock.FileLock(str(paths.locks_dir() / f"local-{name_on_cloud}.lock"))


def load(name_on_cloud: str, root: Path | None = None) -> LocalCluster | None:
    root = root or clusters_root()
    path = root / name_on_cloud / "cluster.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return LocalCluster(name_on_cloud=data["name_on_cloud"], uid=data["uid"],
                        ray_temp_dir=data.get("ray_temp_dir", ""), root=str(root),
                        nodes=[NodeState(**n) for n in data["nodes"]])


def new_cluster(name_on_cloud: str) -> LocalCluster:
    uid = uuid.uuid4().hex[:12]
    return LocalCluster(name_on_cloud=name_on_cloud, uid=uid,
                        ray_temp_dir=f"/tmp/sky-{uid}", root=str(clusters_root()))


def add_node(cluster: LocalCluster) -> NodeState:
    rank = len(cluster.nodes)
    home = cluster.directory / f"node-{rank}"
    home.mkdir(parents=True, exist_ok=True)
    ip = lease_ip(owner=str(cluster.directory))
    node = NodeState(node_id=f"{cluster.name_on_cloud}-{rank}", rank=rank, ip=ip, home=str(home))
    cluster.nodes.append(node)
    cluster.save()
    return node


def remove_cluster_files(cluster: LocalCluster) -> None:
    for node in cluster.nodes:
        release_ip(node.ip, owner=str(cluster.directory))
    shutil.rmtree(cluster.directory, ignore_errors=True)
    if cluster.ray_temp_dir:
        shutil.rmtree(cluster.ray_temp_dir, ignore_errors=True)


# ----------------------------------------------------------------------------- IP leases
def _lease_path(ip: str) -> Path:
    return IP_LEASE_DIR / ip


def _lease_is_stale(path: Path) -> bool:
    try:
        owner = path.read_text().strip()
    except OSError:
        return False
    return bool(owner) and not os.path.isdir(owner)


def lease_ip(owner: str) -> str:
    """Lease a free 127.0.x.y address for ``owner`` (a cluster directory; a lease whose owner
    directory is gone is stale and reclaimed)."""
    IP_LEASE_DIR.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(IP_LEASE_DIR / ".lock")):
        for third in _IP_THIRD_OCTETS:
            for host in _IP_HOSTS:
                ip = f"127.0.{third}.{host}"
                path = _lease_path(ip)
                if path.exists() and not _lease_is_stale(path):
                    continue
                path.write_text(owner)
                return ip
    raise RuntimeError(f"No free loopback address left in {IP_LEASE_DIR}.")


def release_ip(ip: str, owner: str) -> None:
    path = _lease_path(ip)
    try:
        if path.read_text().strip() == owner:
            path.unlink()
    except OSError:
        pass
