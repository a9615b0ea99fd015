"""Fixtures for skylet's integration tests: one real 2-node Ray cluster per session (head
127.0.0.250, worker 127.0.0.251, each with its own HOME), with a skylet daemon on the head."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# This directory is named skylet_agent, not skylet: pytest puts tests/ on sys.path, where a
# tests/skylet directory would shadow the real package.
sys.path.insert(0, str(Path(__file__).parent))

from skylet_raycluster import RayTestCluster  # noqa: E402

HEAD_IP = "127.0.0.250"
WORKER_IP = "127.0.0.251"
TICK_SECONDS = 1


class Skylet:
    """Runs `python -m skylet` on the head node the way skycore's command runner does."""

    def __init__(self, cluster: RayTestCluster) -> None:
        self.cluster = cluster
        self.home = cluster.home(0)

    def run(self, *args: str, stdin: str | None = None, timeout: float = 90,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "skylet", *args],
                              input=stdin.encode() if stdin is not None else None,
                              env={**self.cluster.env(0), **(env or {})}, cwd=str(self.home),
                              capture_output=True, timeout=timeout)

    def json(self, *args: str, stdin: str | None = None, expect_rc: int = 0,
             env: dict[str, str] | None = None) -> dict[str, Any]:
        proc = self.run(*args, "--json", stdin=stdin, env=env)
        assert proc.returncode == expect_rc, (proc.returncode, proc.stdout, proc.stderr)
        lines = proc.stdout.decode().strip().splitlines()
        assert len(lines) == 1, proc.stdout
        return json.loads(lines[0])

    def start_daemon(self, env: dict[str, str] | None = None) -> dict[str, Any]:
        return self.json("start-daemon", "--ray-address", self.cluster.address,
                         "--cluster-name", "skylet-test", "--tick-seconds", str(TICK_SECONDS),
                         env=env)

    def kill_daemon(self) -> int:
        """SIGKILL the daemon (a crash: no clean-up code runs); return its old PID."""
        pid = self.json("health")["pid"]
        os.kill(pid, signal.SIGKILL)
        wait_gone([pid])
        assert self.json("health")["daemon_alive"] is False
        return pid

    def host_info(self, name: str = "skylet-host-0.1.0") -> dict[str, Any] | None:
        path = self.home / ".sky" / "skylet" / "hosts" / f"{name}.json"
        return json.loads(path.read_text()) if path.exists() else None

    def submit(self, run: str | None, **overrides: Any) -> int:
        return self.json("submit", stdin=json.dumps(job_spec(run, **overrides)))["job_id"]

    def status(self, job_id: int) -> str | None:
        return self.json("status", "--job-ids", str(job_id))["statuses"][str(job_id)]

    def job(self, job_id: int) -> dict[str, Any]:
        jobs = self.json("queue", "--all-users")["jobs"]
        return next(job for job in jobs if job["job_id"] == job_id)

    def wait_status(self, job_id: int, wanted: set[str], timeout: float = 30) -> str:
        deadline = time.time() + timeout
        status = None
        while time.time() < deadline:
            status = self.status(job_id)
            if status in wanted:
                return status
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} is {status}, wanted {wanted}")

    def log_dir(self, job_id: int) -> Path:
        return self.home / self.job(job_id)["log_dir"].removeprefix("~/")

    def run_log(self, job_id: int) -> str:
        return (self.log_dir(job_id) / "run.log").read_text()

    def wait_log(self, job_id: int, needle: str, count: int = 1, timeout: float = 30) -> str:
        deadline = time.time() + timeout
        text = ""
        while time.time() < deadline:
            text = self.run_log(job_id)
            if text.count(needle) >= count:
                return text
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} x{count} not in run.log of job {job_id}:\n{text}")


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    return data[data.rindex(b")") + 2 : data.rindex(b")") + 3] not in (b"Z", b"X")


def wait_gone(pids: list[int], timeout: float = 10) -> None:
    deadline = time.time() + timeout
    while [pid for pid in pids if pid_alive(pid)]:
        assert time.time() < deadline, f"still alive: {[p for p in pids if pid_alive(p)]}"
        time.sleep(0.05)


def job_spec(run: str | None, **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "test-job",
        "username": "alice",
        "run": run,
        "setup": None,
        "envs": {},
        "num_nodes": 2,
        "node_ips": [HEAD_IP, WORKER_IP],
        "demand": {"CPU": 0.5},
        "num_gpus_per_node": 0,
        "task_id": "task-1",
        "cluster_info": {"cluster_name": "skylet-test"},
        "workdir": None,
        "resources_str": "2x(CPU:0.5)",
    }
    spec.update(overrides)
    return spec


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[RayTestCluster]:
    cluster = RayTestCluster([HEAD_IP, WORKER_IP], num_cpus=2, num_gpus=1)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def skylet(ray_cluster: RayTestCluster) -> Iterator[Skylet]:
    client = Skylet(ray_cluster)
    client.start_daemon()
    try:
        yield client
    finally:
        client.run("stop-daemon", "--json", timeout=60)
