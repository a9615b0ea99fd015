"""skylet pieces that need no Ray: log prefixing and tailing, the job table, spec validation,
the CLI without a daemon, and autostop's decision."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from skylet import autostop, cli, logs, paths, procs
from skylet.job_table import JobStatus, JobTable


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def _spec(**overrides: object) -> dict:
    spec = {"name": "j", "username": "u", "run": "true", "num_nodes": 1,
            "node_ips": ["10.0.0.1"], "demand": {"CPU": 0.5}}
    spec.update(overrides)
    return spec


def _run_cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, dict]:
    rc = cli.main([*argv, "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    return rc, json.loads(out[0])


def test_multi_node_stream_prefixes_whole_lines(tmp_path: Path) -> None:
    job_logs = logs.JobLogs(tmp_path, multi_node=True)
    head, worker = logs.label_nodes(["10.0.0.1", "10.0.0.2"], ["10.0.0.1", "10.0.0.2"])
    a = job_logs.stream("run", head)
    b = job_logs.stream("run", worker)
    a.set_pid(11)
    b.set_pid(22)
    a.feed(b"par")
    b.feed(b"w1\nw2\n")
    a.feed(b"tial\n10%\r20%\rtail-without-newline")
    a.finish()
    b.finish()
    job_logs.close()
    assert (tmp_path / "run.log").read_bytes() == (
        b"(worker1, rank=1, pid=22, ip=10.0.0.2) w1\n"
        b"(worker1, rank=1, pid=22, ip=10.0.0.2) w2\n"
        b"(head, rank=0, pid=11) partial\n"
        b"(head, rank=0, pid=11) 10%\r"
        b"(head, rank=0, pid=11) 20%\r"
        b"(head, rank=0, pid=11) tail-without-newline\n")
    assert (tmp_path / "0-head.log").read_bytes() == b"partial\n10%\r20%\rtail-without-newline"
    assert (tmp_path / "1-worker1.log").read_bytes() == b"w1\nw2\n"


def test_single_node_setup_goes_to_setup_log_and_run_log(tmp_path: Path) -> None:
    job_logs = logs.JobLogs(tmp_path, multi_node=False)
    (label,) = logs.label_nodes(["10.0.0.1"], ["10.0.0.1"])
    job_logs.stream("setup", label).feed(b"installing\n")
    job_logs.stream("run", label).feed(b"running")
    job_logs.close()
    assert (tmp_path / "setup.log").read_bytes() == b"installing\n"
    assert (tmp_path / "run.log").read_bytes() == b"installing\nrunning"


@pytest.mark.parametrize(("content", "lines", "expected"), [
    (b"a\nb\nc\n", 1, b"c\n"),
    (b"a\nb\nc\n", 2, b"b\nc\n"),
    (b"a\nb\nc", 1, b"c"),
    (b"a\nb\nc\n", 10, b"a\nb\nc\n"),
    (b"a\nb\nc\n", 0, b""),
    (b"", 3, b""),
])
def test_offset_of_last_lines(tmp_path: Path, content: bytes, lines: int, expected: bytes) -> None:
    path = tmp_path / "f"
    path.write_bytes(content)
    assert content[logs.offset_of_last_lines(path, lines):] == expected


def test_follow_drains_after_stop(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    path.write_bytes(b"one\n")
    out = io.BytesIO()
    calls = []

    def keep_going() -> bool:
        calls.append(1)
        if len(calls) == 2:
            with open(path, "ab") as fh:
                fh.write(b"two\n")  # written before the job turned terminal
        return len(calls) < 2

    logs.follow(path, keep_going=keep_going, out=out, poll=0.001)
    assert out.getvalue() == b"one\ntwo\n"


def test_terminal_status_is_never_left(home: Path) -> None:
    table = JobTable(paths.jobs_db())
    job = table.add(_spec(), paths.display_log_dir)
    assert job.status == JobStatus.INIT and job.log_dir == f"~/sky_logs/{job.job_id}-j"
    assert table.set_status(job.job_id, JobStatus.PENDING, from_statuses=[JobStatus.INIT])
    assert table.next_undriven().job_id == job.job_id
    assert table.set_status(job.job_id, JobStatus.CANCELLED, end_at=time.time())
    assert not table.set_status(job.job_id, JobStatus.SUCCEEDED, exit_codes=[0])
    assert table.get(job.job_id).status == JobStatus.CANCELLED
    assert table.next_undriven() is None


def test_claim_is_exclusive_and_placing_is_seen(home: Path) -> None:
    table = JobTable(paths.jobs_db())
    first, second = (table.add(_spec(), paths.display_log_dir) for _ in range(2))
    for job in (first, second):
        table.set_status(job.job_id, JobStatus.PENDING, from_statuses=[JobStatus.INIT])
    assert table.claim(first.job_id) is True
    assert table.claim(first.job_id) is False  # a second host can never drive it too
    assert table.placing() == [first.job_id]
    assert table.next_undriven().job_id == second.job_id
    table.set_status(second.job_id, JobStatus.CANCELLED)
    assert table.claim(second.job_id) is False
    table.set_status(first.job_id, JobStatus.RUNNING)
    assert table.placing() == []
    assert table.statuses([first.job_id, second.job_id, 99]) == {
        first.job_id: JobStatus.RUNNING, second.job_id: JobStatus.CANCELLED}


def test_only_the_active_host_starts_jobs_and_head_of_line_spans_hosts(home: Path) -> None:
    from skylet.scheduler import ACTIVE_HOST_KEY, Scheduler

    table = JobTable(paths.jobs_db())
    placing, queued = (table.add(_spec(), paths.display_log_dir) for _ in range(2))
    for job in (placing, queued):
        table.set_status(job.job_id, JobStatus.PENDING, from_statuses=[JobStatus.INIT])
    scheduler = Scheduler(table, nodes=None, host_name="skylet-host-new")  # type: ignore[arg-type]
    table.set_config(ACTIVE_HOST_KEY, "skylet-host-old")
    scheduler.step()
    assert table.get(placing.job_id).driver_started_at is None  # not the active host
    table.set_config(ACTIVE_HOST_KEY, "skylet-host-new")
    assert table.claim(placing.job_id)  # the old host claimed it and waits for its nodes
    scheduler.step()
    assert table.get(queued.job_id).driver_started_at is None  # head of line: it waits
    assert scheduler.driving() == []
    table.set_config(ACTIVE_HOST_KEY, "skylet-host-old")
    assert scheduler.retire_if_idle() is True
    table.set_status(placing.job_id, JobStatus.RUNNING)
    table.set_config(ACTIVE_HOST_KEY, "skylet-host-new")
    scheduler.step()
    assert table.get(queued.job_id).driver_started_at is None  # retired for good


def test_stale_init_fails(home: Path) -> None:
    table = JobTable(paths.jobs_db())
    job = table.add(_spec(), paths.display_log_dir)
    assert table.fail_stale_init(60) == []
    assert table.fail_stale_init(-1) == [job.job_id]
    assert table.get(job.job_id).status == JobStatus.FAILED_DRIVER


def test_validate_spec_defaults_and_errors() -> None:
    spec = cli.validate_spec({"node_ips": ["a"], "envs": {"N": 1}, "demand": {}})
    assert spec["name"] == "sky-cmd" and spec["envs"] == {"N": "1"}
    assert spec["demand"] == {"CPU": 0.5} and spec["num_nodes"] == 1
    for bad in ({"node_ips": "a"}, {"node_ips": ["a"], "num_nodes": 0},
                {"node_ips": ["a"], "demand": {"CPU": -1}}, {"node_ips": ["a"], "run": 3}, []):
        with pytest.raises(cli.UsageError):
            cli.validate_spec(bad)


def test_cli_without_daemon(home: Path, capsys: pytest.CaptureFixture,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run_cli(capsys, "health") == (
        0, {"daemon_alive": False, "pid": None, "version": "0.1.0", "ray_nodes": None})
    assert _run_cli(capsys, "status") == (0, {"statuses": {}})
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(_spec(name="my job"))))
    rc, submitted = _run_cli(capsys, "submit")
    assert (rc, submitted) == (0, {"job_id": 1, "log_dir": "~/sky_logs/1-my-job"})
    assert (home / "sky_logs/1-my-job/run.log").exists()
    assert _run_cli(capsys, "status", "--job-ids", "1", "2") == (
        0, {"statuses": {"1": "PENDING", "2": None}})
    rc, queue = _run_cli(capsys, "queue")
    assert queue["jobs"][0]["status"] == "PENDING"
    assert _run_cli(capsys, "cancel", "--job-ids", "1") == (0, {"cancelled": [1]})
    assert _run_cli(capsys, "cancel", "--all") == (0, {"cancelled": []})
    assert cli.main(["tail", "--job-id", "1"]) == cli.EXIT_CANCELLED
    assert cli.main(["tail", "--job-id", "7"]) == cli.EXIT_NOT_FOUND
    rc, error = _run_cli(capsys, "status", "--job-ids", "x")
    assert rc == 2 and error["type"] == "UsageError"
    rc, error = _run_cli(capsys, "start-daemon", "--ray-address", "nope", "--cluster-name", "c")
    assert rc == 2 and "IP:PORT" in error["error"]


def test_autostop_fires_once_when_idle(home: Path) -> None:
    table = JobTable(paths.jobs_db())
    flag = home / "stopped"
    autostop.set_autostop(table, idle_minutes=0, down=False, wait_for="jobs",
                          stop_command=f"echo x >> {flag}", down_command="false")
    job = table.add(_spec(), paths.display_log_dir)  # a live job: not idle
    assert autostop.check(table) is False
    assert autostop.status(table)["idle_seconds"] == 0.0
    table.set_status(job.job_id, JobStatus.SUCCEEDED)
    assert autostop.check(table) is True
    assert autostop.check(table) is False
    assert autostop.status(table)["autostopping"] is True
    deadline = time.time() + 10
    while not flag.exists() and time.time() < deadline:
        time.sleep(0.02)
    assert flag.read_text() == "x\n"
    autostop.set_autostop(table, idle_minutes=-1, down=False, wait_for="none",
                          stop_command=None, down_command=None)
    assert autostop.status(table) == {"idle_minutes": -1.0, "down": False,
                                      "autostopping": False,
                                      "idle_seconds": pytest.approx(0, abs=1)}


def test_cli_path_never_imports_ray() -> None:
    code = "import sys, skylet.cli, skylet.__main__; print('ray' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(Path(cli.__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "False", out.stderr


def test_kill_marked_finds_setsid_children(tmp_path: Path) -> None:
    marker = f"unit-{os.getpid()}-{time.time()}"
    env = {**os.environ, paths.MARKER_KEY: marker}
    proc = subprocess.Popen(["bash", "-c", "setsid sleep 300 & echo $!; exec sleep 301"],
                            env=env, stdout=subprocess.PIPE, start_new_session=True)
    detached = int(proc.stdout.readline())
    try:
        assert {proc.pid, detached} <= procs.find_marked(paths.MARKER_KEY, [marker])
        killed = procs.kill_marked(paths.MARKER_KEY, [marker], grace=2)
        assert {proc.pid, detached} <= set(killed)
        proc.wait(timeout=5)
        assert not procs.pid_alive(detached)
    finally:
        for pid in (proc.pid, detached):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        proc.stdout.close()
