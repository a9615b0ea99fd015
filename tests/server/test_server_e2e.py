"""The API server running real work on the local driver (real Ray, real processes), on SQLite
and PostgreSQL: a slow launch never blocks status, cancel ends the request's processes, `down`
cancels the cluster's requests, a client that loses its stream reattaches, Ctrl+C detaches."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from skycore import errors
from skycore.client import sdk
from skycore.server import constants as C
from skycore.task import Task
from skycore.testing.api_server import ApiServer, children_of, pid_alive, wait_for

pytestmark = pytest.mark.integration
SKY = str(Path(sys.executable).with_name("sky"))



def _record(request_id: str) -> dict:
    return sdk.api_status([request_id])[0]



@pytest.fixture(scope="module")
def up_cluster(api_server: ApiServer) -> Iterator[str]:
    """One UP 1-node local cluster per server (launching costs seconds)."""
    from skycore.client import rest

    previous = os.environ.get("SKY_API_SERVER_ENDPOINT")
    os.environ["SKY_API_SERVER_ENDPOINT"] = api_server.url
    rest.close()
    name = f"srv-{uuid.uuid4().hex[:6]}"
    try:
        result = sdk.stream_and_get(sdk.launch(Task.from_command("echo up"), name),
                                    output=io.BytesIO())
        assert result["exit_code"] == 0
        yield name
    finally:
        try:
            sdk.get(sdk.down(name))
        finally:
            if previous is None:
                os.environ.pop("SKY_API_SERVER_ENDPOINT", None)
            else:
                os.environ["SKY_API_SERVER_ENDPOINT"] = previous
            rest.close()


def test_status_answers_while_two_launches_run(client: ApiServer) -> None:
    names = [f"busy-{uuid.uuid4().hex[:5]}" for _ in range(2)]
    task = Task.from_yaml_config({"setup": "sleep 6", "run": "echo done"})
    launches = [sdk.launch(task, name) for name in names]
    try:
        wait_for(lambda: all(_record(r)["status"] == C.RUNNING for r in launches),
                  what="both launches running")
        results: list[object] = []
        failures: list[BaseException] = []

        def one_status() -> None:
            try:
                results.append(sdk.get(sdk.status(all_users=True)))
            except BaseException as exc:  # noqa: BLE001
                failures.append(exc)

        threads = [threading.Thread(target=one_status) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not failures, failures
        assert len(results) == 20
        # the 20 answers came while both launches were still working
        assert [_record(r)["status"] for r in launches] == [C.RUNNING, C.RUNNING]
        for r in launches:
            assert sdk.get(r)["exit_code"] == 0
    finally:
        for name in names:
            try:
                sdk.get(sdk.down(name))
            except errors.ClusterDoesNotExistError:
                pass


def test_cancel_kills_the_request_process_tree_but_not_the_job(client: ApiServer,
                                                                up_cluster: str) -> None:
    job = sdk.get(sdk.exec(Task.from_command("sleep 120"), up_cluster, detach_run=True))
    job_id = job["job_id"]
    viewer = sdk.tail_logs(up_cluster, job_id, follow=True)
    record = wait_for(lambda: (r := _record(viewer))["status"] == C.RUNNING and r,
                       what="the log follower to run")
    worker = record["pid"]
    tree = wait_for(lambda: children_of(worker), what="the follower's subprocess")
    assert sdk.api_cancel([viewer[:10]]) == [viewer]
    with pytest.raises(errors.RequestCancelledError):
        sdk.get(viewer)
    assert _record(viewer)["status"] == C.CANCELLED
    wait_for(lambda: not any(pid_alive(p) for p in [worker, *tree]), timeout=20,
              what="the worker and its subprocesses to end")
    # the job is the cluster's, not the request's: still running
    assert sdk.get(sdk.job_status(up_cluster, [job_id]))[job_id] == "RUNNING"
    sdk.get(sdk.cancel(up_cluster, [job_id]))


def test_down_cancels_the_clusters_running_requests(client: ApiServer) -> None:
    name = f"dn-{uuid.uuid4().hex[:5]}"
    launch = sdk.launch(Task.from_command("echo started; sleep 300"), name)
    wait_for(lambda: b"started" in _log(launch), timeout=90, what="the job to start")
    sdk.get(sdk.down(name))
    assert _record(launch)["status"] == C.CANCELLED
    assert sdk.get(sdk.status([name], all_users=True)) == []


def _log(request_id: str) -> bytes:
    buf = io.BytesIO()
    from skycore.client import log_stream

    log_stream.follow(request_id, buf, follow=False)
    return buf.getvalue()


class _DroppingProxy:
    """A TCP proxy to the server that cuts the first response stream after ``cut`` bytes."""

    def __init__(self, target_port: int, cut: int) -> None:
        self.target_port = target_port
        self.cut = cut
        self.dropped = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream, None), daemon=True
                             ).start()
            threading.Thread(target=self._pipe, args=(upstream, client, "down"), daemon=True
                             ).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, direction: str | None) -> None:
        sent = 0
        try:
            while data := src.recv(4096):
                if direction == "down" and b"/api/stream" not in data and self.dropped == 0:
                    sent += len(data)
                    if sent > self.cut and b"\r\n0\r\n" not in data:
                        self.dropped += 1
                        break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self) -> None:
        self._stop = True
        self.sock.close()


def test_stream_reattaches_after_a_dropped_connection(client: ApiServer, up_cluster: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from skycore.client import rest

    script = "for i in $(seq 1 400); do echo line-$i; sleep 0.005; done"
    request_id = sdk.exec(Task.from_command(script), up_cluster)
    proxy = _DroppingProxy(client.port, cut=3000)
    try:
        monkeypatch.setenv("SKY_API_SERVER_ENDPOINT", f"http://127.0.0.1:{proxy.port}")
        rest.close()
        out = io.BytesIO()
        result = sdk.stream_and_get(request_id, output=out)
    finally:
        proxy.close()
    assert proxy.dropped == 1
    assert result["exit_code"] == 0
    lines = [ln for ln in out.getvalue().decode().splitlines() if ln.startswith("line-")]
    assert lines == [f"line-{i}" for i in range(1, 401)]  # nothing lost, nothing twice


def test_ctrl_c_detaches_and_the_request_goes_on(client: ApiServer, up_cluster: str) -> None:
    env = client.client_env()
    proc = subprocess.Popen([SKY, "exec", up_cluster, "echo begin-$((1+1)); sleep 3; echo end"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    seen = b""
    while b"begin-2" not in seen and time.monotonic() < deadline:
        seen += proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (out, err)
    assert b"sky api logs" in err and b"sky api cancel" in err
    request = sdk.api_status(all_status=True, limit=10)
    execs = [r for r in request if r["name"] == "exec"]
    assert sdk.get(execs[0]["request_id"])["exit_code"] == 0
    assert b"end" in _log(execs[0]["request_id"])
