"""A real multi-node Ray cluster on loopback addresses, for skylet's integration tests.

Why this exists: skylet must be tested against real Ray (placement groups, streaming tasks,
per-node HOME dirs), but this host is shared with other engineers' Ray clusters, so nothing may be
found or killed by name. Every process started here carries an environment marker; teardown
collects processes by that marker plus all their descendants (Ray workers call setsid, so process
groups are not enough) and kills them by PID: TERM, wait, then KILL.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
MARKER_KEY = "SKYLET_TEST_CLUSTER"


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free right now (Ray listens on all addresses)."""
    with socket.socket() as sock:
        sock.bind(("", 0))
        return sock.getsockname()[1]


def free_port_range(count: int) -> int:
    """Return the first port of `count` consecutive free ports (for Ray worker ports)."""
    for _ in range(200):
        start = free_port()
        if start + count > 65000:
            continue
        ok = True
        for port in range(start, start + count):
            with socket.socket() as sock:
                try:
                    sock.bind(("", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return start
    raise RuntimeError("no free port range")


def _environ_has(pid: int, entry: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return entry in fh.read().split(b"\0")
    except OSError:
        return False


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return int(data[data.rindex(b")") + 2 :].split()[1])


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def marked_pids(key: str, value: str) -> set[int]:
    """PIDs whose environment holds key=value, plus all their descendants."""
    entry = f"{key}={value}".encode()
    pids = _all_pids()
    found = {pid for pid in pids if _environ_has(pid, entry)}
    found.discard(os.getpid())
    parents = {pid: _ppid(pid) for pid in pids}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in found and pid not in found and pid != os.getpid():
                found.add(pid)
                changed = True
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    return data[data.rindex(b")") + 2 : data.rindex(b")") + 3] != b"Z"


def kill_marked(key: str, value: str, grace: float = 3.0) -> None:
    """TERM every marked process, wait up to `grace` seconds, then KILL what is left."""
    deadline = time.time() + grace
    pids = marked_pids(key, value)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    while time.time() < deadline:
        pids |= marked_pids(key, value)
        if not any(_alive(pid) for pid in pids):
            break
        time.sleep(0.2)
    for _ in range(3):
        pids |= marked_pids(key, value)
        for pid in pids:
            if _alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.2)


@dataclass
class RayTestCluster:
    """A head (first IP) plus workers, each with its own HOME under one temp dir."""

    ips: list[str]
    num_cpus: int = 2
    # Ray treats GPUs as plain resources: fake ones exercise the CUDA_VISIBLE_DEVICES path.
    num_gpus: int = 0
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="skylet-test-")))
    marker: str = field(default_factory=lambda: uuid.uuid4().hex)
    gcs_port: int = 0
    # Ray's AF_UNIX socket paths must stay under 107 bytes: keep its temp dir short.
    ray_tmp: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="skt", dir="/tmp"))

    @property
    def head_ip(self) -> str:
        return self.ips[0]

    @property
    def address(self) -> str:
        return f"{self.head_ip}:{self.gcs_port}"

    def home(self, index: int) -> Path:
        return self.root / f"node{index}" / "home"

    def env(self, index: int) -> dict[str, str]:
        """Environment of node `index`: its own HOME, the repo importable, the test marker."""
        env = dict(os.environ)
        env.update(
            HOME=str(self.home(index)),
            RAY_USAGE_STATS_ENABLED="0",
            PYTHONPATH=str(REPO_ROOT),
            PATH=f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}",
            **{MARKER_KEY: self.marker},
        )
        env.pop("RAY_ADDRESS", None)
        return env

    def _ports(self) -> list[str]:
        worker_start = free_port_range(20)
        args = {
            "--node-manager-port": free_port(),
            "--object-manager-port": free_port(),
            "--dashboard-agent-listen-port": free_port(),
            "--dashboard-agent-grpc-port": free_port(),
            "--runtime-env-agent-port": free_port(),
            "--metrics-export-port": free_port(),
            "--min-worker-port": worker_start,
            "--max-worker-port": worker_start + 19,
        }
        return [f"{key}={value}" for key, value in args.items()]

    def start(self) -> RayTestCluster:
        for index in range(len(self.ips)):
            self.home(index).mkdir(parents=True, exist_ok=True)
        self.gcs_port = free_port()
        ray = str(VENV_BIN / "ray")
        common = [
            f"--num-cpus={self.num_cpus}",
            f"--num-gpus={self.num_gpus}",
            "--disable-usage-stats",
            "--include-log-monitor=false",
            f"--temp-dir={self.ray_tmp}",
        ]
        head = [ray, "start", "--head", f"--node-ip-address={self.head_ip}",
                f"--port={self.gcs_port}", "--include-dashboard=false", *common, *self._ports()]
        self._run(head, 0)
        for index, ip in enumerate(self.ips[1:], start=1):
            worker = [ray, "start", f"--address={self.address}", f"--node-ip-address={ip}",
                      *common, *self._ports()]
            self._run(worker, index)
        return self

    def _run(self, cmd: list[str], index: int) -> None:
        proc = subprocess.run(cmd, env=self.env(index), cwd=str(self.home(index)),
                              capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")

    def stop(self) -> None:
        kill_marked(MARKER_KEY, self.marker)
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.ray_tmp, ignore_errors=True)
