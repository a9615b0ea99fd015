"""Crashes leave state consistent and recoverable: a dead node agent, a killed client."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from skycore import core as sdk
from skycore.state import clusters
from skycore.task import Task
from skycore.testing.isolation import local_cluster_pids, local_cluster_uid

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SKY = str(Path(sys.executable).parent / "sky")


def _skylet_daemon_pid(sky_home: Path, name_on_cloud: str) -> int:
    pid_file = sky_home / "local" / name_on_cloud / "node-0" / ".sky" / "skylet" / "daemon.pid"
    return int(json.loads(pid_file.read_text())["pid"])


def test_dead_agent_marks_cluster_init_and_launch_repairs_it(sky_home: Path) -> None:
    """A dead skylet daemon makes the cluster INIT; the next launch restarts only the agent, so
    a job that was running keeps running and finishes."""
    name = "rec-agent"
    running = sdk.launch(Task.from_command("for i in $(seq 1 8); do echo n$i; sleep 0.5; done"),
                         name, detach_run=True)
    record = clusters.get(name)
    uid = local_cluster_uid(sky_home, record.handle["cluster_name_on_cloud"])
    deadline = time.time() + 30
    while sdk.job_status(name, [running.job_id])[running.job_id] != "RUNNING":
        assert time.time() < deadline
        time.sleep(0.1)
    ray_pids = {p for p in local_cluster_pids(uid) if "raylet" in _cmdline(p)}
    os.kill(_skylet_daemon_pid(sky_home, record.handle["cluster_name_on_cloud"]), signal.SIGKILL)
    time.sleep(0.5)
    assert sdk.status([name], refresh=True)[0]["status"] == "INIT"

    out = io.BytesIO()
    result = sdk.launch(Task.from_command("echo repaired-$((2*3))"), name, out=out)
    assert result.exit_code == 0 and b"repaired-6" in out.getvalue()
    assert sdk.status([name], refresh=True)[0]["status"] == "UP"
    assert clusters.get(name).cluster_hash == record.cluster_hash, "repaired in place"
    raylets_now = {p for p in local_cluster_pids(uid) if "raylet" in _cmdline(p)}
    assert ray_pids and raylets_now == ray_pids, "Ray must be kept, not restarted or doubled"
    assert sdk.tail_logs(name, running.job_id, follow=True, out=(log := io.BytesIO())) == 0
    assert all(f"n{i}".encode() in log.getvalue() for i in range(1, 9))
    sdk.down(name)


def test_lost_worker_node_marks_cluster_init_and_launch_repairs_it(sky_home: Path) -> None:
    name = "rec-worker"
    task = Task.from_command("echo rank-$SKYPILOT_NODE_RANK").with_overrides(num_nodes=2)
    assert sdk.launch(task, name, out=io.BytesIO()).exit_code == 0
    record = clusters.get(name)
    uid = local_cluster_uid(sky_home, record.handle["cluster_name_on_cloud"])
    worker_ip = record.handle["node_ips"][1]
    (raylet,) = [p for p in local_cluster_pids(uid)
                 if "raylet/raylet" in _cmdline(p) and f"--node_ip_address={worker_ip}" in
                 _cmdline(p)]
    os.kill(raylet, signal.SIGKILL)
    deadline = time.time() + 60
    while sdk.status([name], refresh=True)[0]["status"] != "INIT":
        assert time.time() < deadline, "a cluster without its worker must not stay UP"
        time.sleep(1)
    out = io.BytesIO()
    assert sdk.launch(task, name, out=out).exit_code == 0
    assert b"rank-0" in out.getvalue() and b"rank-1" in out.getvalue()
    assert sdk.status([name], refresh=True)[0]["status"] == "UP"
    sdk.down(name)
    assert not local_cluster_pids(uid)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_client_killed_mid_launch_leaves_a_recoverable_record(sky_home: Path) -> None:
    name = "rec-client"
    proc = subprocess.Popen([SKY, "launch", "-y", "-c", name, "echo never"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    assert proc.stdout is not None
    deadline = time.time() + 60
    while True:
        record = clusters.get(name)
        if record is not None and (sky_home / "local").exists() and any(
                (sky_home / "local").glob(f"{name}-*/cluster.json")):
            break
        assert time.time() < deadline, "launch never started provisioning"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    record = clusters.get(name)
    assert record is not None and record.status.value == "INIT"
    # the nodes exist but the runtime never came up (or only partly): still INIT after refresh
    refreshed = sdk.status([name], refresh=True)
    assert refreshed and refreshed[0]["status"] in ("INIT", "UP")
    uid = local_cluster_uid(sky_home, record.handle["cluster_name_on_cloud"])
    # the next launch repairs it in place, with exactly one Ray (nothing half-started is left)
    out = io.BytesIO()
    assert sdk.launch(Task.from_command("echo again-$((3+4))"), name, out=out).exit_code == 0
    assert b"again-7" in out.getvalue()
    assert clusters.get(name).cluster_hash == record.cluster_hash
    uid = local_cluster_uid(sky_home, record.handle["cluster_name_on_cloud"])
    gcs = [p for p in local_cluster_pids(uid) if "gcs_server" in _cmdline(p)]
    assert len(gcs) == 1, gcs
    sdk.down(name)
    assert clusters.get(name) is None
    assert not local_cluster_pids(uid)
