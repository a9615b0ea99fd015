"""The `sky` command line on real local clusters, as a user types it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SKY = str(Path(sys.executable).parent / "sky")
REPO = Path(__file__).resolve().parents[2]


def sky(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([SKY, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO, env=dict(os.environ, SKYCORE_DEBUG="1"))


@pytest.fixture(scope="module")
def cluster(sky_home: Path):
    name = "cli-e2e"
    result = sky("launch", "-y", "-c", name, "--num-nodes", "2", "echo launched-$((40+2))")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "launched-42" in result.stdout
    yield name
    sky("down", "-y", name)


def test_status_queue_logs_tables(cluster: str) -> None:
    status = sky("status")
    assert status.returncode == 0
    header = next(line for line in status.stdout.splitlines() if line.startswith("NAME"))
    for column in ("INFRA", "RESOURCES", "STATUS", "AUTOSTOP", "LAUNCHED"):
        assert column in header
    row = next(line for line in status.stdout.splitlines() if line.startswith(cluster))
    assert " UP " in row and "Local (local)" in row and "2x(" in row

    queue = sky("queue", cluster)
    assert queue.returncode == 0
    assert "SUCCEEDED" in queue.stdout and "ID" in queue.stdout

    logs = sky("logs", cluster, "1", "--no-follow")
    assert logs.returncode == 0 and "launched-42" in logs.stdout
    assert sky("logs", "--status", cluster, "1").returncode == 0


def test_exec_failure_sets_exit_code(cluster: str) -> None:
    result = sky("exec", cluster, "exit 5")
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr


def test_ctrl_c_detaches_and_the_job_keeps_running(cluster: str) -> None:
    submit = sky("exec", "-d", cluster, "echo tick-start; sleep 60")
    assert submit.returncode == 0
    job_id = max(int(line.split()[0]) for line in sky("queue", cluster).stdout.splitlines()
                 if line.split() and line.split()[0].isdigit())
    proc = subprocess.Popen([SKY, "logs", cluster, str(job_id)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=REPO)
    assert proc.stdout is not None
    deadline = time.time() + 30
    seen = ""
    while "tick-start" not in seen:
        assert time.time() < deadline, seen
        seen += proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert f"sky logs {cluster} {job_id}" in rest
    assert "Traceback" not in rest
    status = sky("logs", "--status", cluster, str(job_id))
    assert "RUNNING" in status.stdout, status.stdout
    assert sky("cancel", "-y", cluster, str(job_id)).returncode == 0
    assert "CANCELLED" in sky("logs", "--status", cluster, str(job_id)).stdout


def test_bad_yaml_names_the_field_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("resources:\n  acelerators: V100\nrun: echo hi\n")
    result = sky("launch", "-y", "-c", "never-made", str(path))
    assert result.returncode == 1
    assert "acelerators" in result.stderr and "accelerators" in result.stderr
    assert "never-made" not in sky("status").stdout


def test_launch_down_tears_down_after_the_job(sky_home: Path) -> None:
    result = sky("launch", "-y", "--down", "-c", "cli-down", "echo bye-$((1+1))")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bye-2" in result.stdout
    deadline = time.time() + 60
    while "cli-down" in sky("status", "-r").stdout:
        assert time.time() < deadline, "--down did not tear the cluster down"
        time.sleep(1)
