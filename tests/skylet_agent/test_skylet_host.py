"""Jobs live in the job host (a detached Ray actor), not in the daemon: they survive a daemon crash,
restart, stop or upgrade, and are failed only when no live host drives them any more."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest
from conftest import Skylet, pid_alive, wait_gone

pytestmark = pytest.mark.integration

TERMINAL = {"SUCCEEDED", "FAILED", "FAILED_SETUP", "FAILED_DRIVER", "CANCELLED"}
COUNT = "for i in $(seq 1 8); do echo n$i; sleep 0.5; done"
SLEEPERS = "sleep 300 & echo SLEEPPID $!; setsid sleep 301 & echo DETACHED $!; wait"


def _pids(text: str, *tags: str) -> list[int]:
    return [int(pid) for tag in tags for pid in re.findall(rf"{tag} (\d+)", text)]


def _lines(output: str, rank: int) -> list[str]:
    prefix = "(head, rank=0" if rank == 0 else "(worker1, rank=1"
    return [line.rsplit(") ", 1)[1] for line in output.splitlines() if line.startswith(prefix)]


def test_job_survives_daemon_crash_and_restart(skylet: Skylet,
                                               capsys: pytest.CaptureFixture) -> None:
    host = skylet.host_info()
    job_id = skylet.submit(COUNT)
    skylet.wait_log(job_id, "n1", count=2)
    skylet.kill_daemon()
    assert skylet.status(job_id) == "RUNNING"
    started = time.time()
    assert skylet.start_daemon()["started"] is True
    restart_seconds = time.time() - started
    assert skylet.status(job_id) == "RUNNING"  # adopted, not failed
    assert "n8" not in skylet.run_log(job_id)  # it was still running across the restart
    assert skylet.host_info() == host  # the same host process drives it
    follow = skylet.run("tail", "--job-id", str(job_id), "--follow")
    assert follow.returncode == 0, follow.stderr
    expected = [f"n{i}" for i in range(1, 9)]
    for rank in (0, 1):
        assert _lines(follow.stdout.decode(), rank) == expected, follow.stdout
        assert _lines(skylet.run_log(job_id), rank) == expected
    assert skylet.status(job_id) == "SUCCEEDED"
    assert skylet.job(job_id)["exit_codes"] == [0, 0]
    after = skylet.submit("echo alive", num_nodes=1)
    assert skylet.wait_status(after, TERMINAL) == "SUCCEEDED"
    with capsys.disabled():
        print(f"\n[skylet] start-daemon after a crash (re-attaches to the live job host):"
              f" {restart_seconds * 1000:.0f} ms")


def test_adopted_job_can_be_cancelled(skylet: Skylet) -> None:
    job_id = skylet.submit(SLEEPERS)
    pids = _pids(skylet.wait_log(job_id, "DETACHED", count=2), "SLEEPPID", "DETACHED")
    assert len(pids) == 4
    skylet.kill_daemon()
    skylet.start_daemon()
    assert skylet.status(job_id) == "RUNNING"
    assert all(pid_alive(pid) for pid in pids)
    assert skylet.json("cancel", "--job-ids", str(job_id)) == {"cancelled": [job_id]}
    assert not [pid for pid in pids if pid_alive(pid)]
    assert skylet.status(job_id) == "CANCELLED"


def test_job_of_a_dead_host_fails_at_next_start(skylet: Skylet) -> None:
    job_id = skylet.submit(SLEEPERS)
    pids = _pids(skylet.wait_log(job_id, "DETACHED", count=2), "SLEEPPID", "DETACHED")
    skylet.kill_daemon()
    host = skylet.host_info()
    assert host is not None and pid_alive(host["pid"])
    os.kill(host["pid"], signal.SIGKILL)
    wait_gone([host["pid"]])
    # Ray ends the dead owner's tasks (and their sessions), not processes that left them.
    detached = _pids(skylet.run_log(job_id), "DETACHED")
    time.sleep(0.5)
    assert all(pid_alive(pid) for pid in detached)
    skylet.start_daemon()
    assert skylet.status(job_id) == "FAILED_DRIVER"
    assert not [pid for pid in pids if pid_alive(pid)]
    assert "job host driving this job died" in skylet.run_log(job_id)
    new_host = skylet.host_info()
    assert new_host is not None and new_host["pid"] != host["pid"]
    after = skylet.submit("echo alive")
    assert skylet.wait_status(after, TERMINAL) == "SUCCEEDED"


def test_fifo_head_of_line_holds_across_a_daemon_restart(skylet: Skylet) -> None:
    big = skylet.submit("sleep 2", demand={"CPU": 2})
    blocked = skylet.submit("sleep 1", demand={"CPU": 2})
    small = skylet.submit("echo small", demand={"CPU": 0.5})  # fits now, but queues behind
    skylet.wait_status(big, {"RUNNING"})
    skylet.kill_daemon()
    assert skylet.status(blocked) == "PENDING" and skylet.status(small) == "PENDING"
    skylet.start_daemon()
    for job_id in (big, blocked, small):
        assert skylet.wait_status(job_id, TERMINAL, timeout=30) == "SUCCEEDED"
    jobs = [skylet.job(job_id) for job_id in (big, blocked, small)]
    assert jobs[1]["start_at"] >= jobs[0]["end_at"], jobs
    assert jobs[2]["start_at"] >= jobs[1]["start_at"], jobs


def test_stop_daemon_leaves_jobs_to_the_host(skylet: Skylet) -> None:
    job_id = skylet.submit("echo first; sleep 2; echo last", num_nodes=1)
    skylet.wait_log(job_id, "first")
    sleepers = skylet.submit(SLEEPERS)
    pids = _pids(skylet.wait_log(sleepers, "DETACHED", count=2), "SLEEPPID", "DETACHED")
    assert skylet.json("stop-daemon") == {"stopped": True}
    assert skylet.json("health") == {"daemon_alive": False, "pid": None, "version": "0.1.0",
                                       "ray_nodes": None}
    assert skylet.json("stop-daemon") == {"stopped": False}
    # The host finishes the job on its own; tail keeps following while a host drives it.
    follow = skylet.run("tail", "--job-id", str(job_id), "--follow")
    assert (follow.returncode, follow.stdout) == (0, b"first\nlast\n")
    # With no daemon, cancel kills this node's processes; the host's driver those of the others.
    assert skylet.json("cancel", "--job-ids", str(sleepers)) == {"cancelled": [sleepers]}
    wait_gone(pids)
    assert skylet.start_daemon()["started"] is True
    queued = skylet.submit("echo queued", num_nodes=1)
    assert skylet.wait_status(queued, TERMINAL) == "SUCCEEDED"


def test_old_version_host_finishes_its_jobs_after_an_upgrade(
        skylet: Skylet, capsys: pytest.CaptureFixture) -> None:
    old = skylet.host_info()
    assert old is not None
    job_id = skylet.submit(COUNT, num_nodes=1)
    skylet.wait_log(job_id, "n1")
    skylet.kill_daemon()
    upgraded = {"SKYLET_HOST_TAG": "9.9.9"}
    started = time.time()
    skylet.start_daemon(env=upgraded)
    with capsys.disabled():
        print(f"\n[skylet] start-daemon creating a new job host (worker start + warm-up):"
              f" {(time.time() - started) * 1000:.0f} ms")
    new = skylet.host_info("skylet-host-9.9.9")
    assert new is not None and new["pid"] != old["pid"]
    # New jobs go to the new host; the old one finishes its job, then is retired.
    fresh = skylet.submit("echo fresh", num_nodes=1)
    assert skylet.wait_status(fresh, TERMINAL) == "SUCCEEDED"
    assert skylet.wait_status(job_id, TERMINAL) == "SUCCEEDED"
    assert skylet.run_log(job_id) == "".join(f"n{i}\n" for i in range(1, 9))
    wait_gone([old["pid"]], timeout=15)
    assert skylet.host_info() is None
    # Back to the real version: the 9.9.9 host is the old one now, idle, and goes too.
    skylet.kill_daemon()
    skylet.start_daemon()
    wait_gone([new["pid"]], timeout=15)
    assert skylet.host_info() is not None
    again = skylet.submit("echo again", num_nodes=1)
    assert skylet.wait_status(again, TERMINAL) == "SUCCEEDED"
