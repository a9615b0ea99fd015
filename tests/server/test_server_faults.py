"""Faults around the API server: SIGKILL mid-launch and restart (SQLite and PostgreSQL), and
five clients racing to auto-start the local server."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from skycore import errors
from skycore.client import rest, sdk
from skycore.server import constants as C
from skycore.server.main import ORPHAN_REASON
from skycore.task import Task
from skycore.testing.api_server import (
    ApiServer,
    children_of,
    free_port,
    pid_alive,
    server_database,
    stop_server_of,
    wait_for,
)
from skycore.testing.isolation import kill_local_clusters

pytestmark = pytest.mark.integration
SKY = str(Path(sys.executable).with_name("sky"))




@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
                 ) -> Iterator[ApiServer]:
    home = Path(tempfile.mkdtemp(prefix="skykill-"))
    try:
        with server_database(request.param, home, request) as url:
            server = ApiServer(home / "sky_home", env={"SKY_DB": url})
            monkeypatch.setenv("SKY_API_SERVER_ENDPOINT", server.url)
            rest.close()
            try:
                yield server
            finally:
                rest.close()
                server.stop()
                kill_local_clusters(home / "sky_home")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_sigkill_mid_launch_then_restart_fails_the_orphans_and_relaunch_repairs(
        fresh_server: ApiServer) -> None:
    server = fresh_server.start()
    name = f"k-{uuid.uuid4().hex[:5]}"
    launch = sdk.launch(Task.from_yaml_config({"setup": "sleep 30", "run": "echo ok"}), name)
    wait_for(lambda: sdk.api_status([launch])[0]["status"] == C.RUNNING, what="launch running")
    # kill once the cluster record exists (provisioning has begun)
    wait_for(lambda: sdk.get(sdk.status([name], all_users=True)), timeout=90,
              what="the cluster record")
    workers = children_of(server.proc.pid)  # type: ignore[union-attr]
    assert workers
    server.sigkill()
    # the workers notice their server is gone and end their process groups
    wait_for(lambda: not any(pid_alive(p) for p in workers), timeout=20,
              what="the orphaned workers to exit")

    server.start()
    rest.close()
    record = sdk.api_status([launch])[0]
    assert record["status"] == C.FAILED
    assert record["status_msg"] == ORPHAN_REASON
    with pytest.raises(errors.RequestFailedError, match="API server stopped"):
        sdk.get(launch)
    # the cluster record is still there and refresh reconciles it with the nodes
    refreshed = sdk.get(sdk.status([name], refresh=True, all_users=True))
    assert [r["status"] for r in refreshed] in (["INIT"], ["UP"], [])
    # relaunching the same name repairs (or recreates) the cluster and runs the task
    result = sdk.stream_and_get(sdk.launch(Task.from_command("echo again"), name),
                                output=io.BytesIO())
    assert result["exit_code"] == 0
    assert [r["status"] for r in sdk.get(sdk.status([name], all_users=True))] == ["UP"]
    sdk.get(sdk.down(name))


def test_five_racing_clients_start_exactly_one_server(tmp_path: Path) -> None:
    home = tmp_path / "sky_home"
    port = free_port()
    env = {**os.environ, "SKY_HOME": str(home),
           "SKY_API_SERVER_ENDPOINT": f"http://127.0.0.1:{port}"}
    try:
        procs = [subprocess.Popen([SKY, "status"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(5)]
        outputs = [p.communicate(timeout=120) for p in procs]
        for proc, (out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err.decode()
            assert b"No existing clusters." in out
        started = sum(err.count(b"API server started") for _, err in outputs)
        assert started == 1
        servers = [pid for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
                   if _cmdline_has(pid, ["skycore.server", "--port", str(port)])]
        assert len(servers) == 1, servers
    finally:
        stop_server_of(home)


def _cmdline_has(pid: int, words: list[str]) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().decode(errors="replace").split("\0")
    except OSError:
        return False
    return all(w in args for w in words)
