"""skylet against a real 2-node Ray cluster: jobs, logs, cancel, FIFO, tail, autostop (daemon
restarts and the job host: `test_skylet_host.py`)."""

from __future__ import annotations

import json
import re
import statistics
import time

import pytest
from conftest import HEAD_IP, WORKER_IP, Skylet

from skylet import procs

pytestmark = pytest.mark.integration

TERMINAL = {"SUCCEEDED", "FAILED", "FAILED_SETUP", "FAILED_DRIVER", "CANCELLED"}


def _pids(text: str, tag: str) -> list[int]:
    return [int(pid) for pid in re.findall(rf"{tag} (\d+)", text)]


def test_start_daemon_is_idempotent(skylet: Skylet) -> None:
    health = skylet.json("health")
    assert health["daemon_alive"] is True
    assert health["ray_nodes"] == sorted([HEAD_IP, WORKER_IP])
    again = skylet.start_daemon()
    assert again == {"pid": health["pid"], "started": False}


def test_two_node_job_env_and_logs(skylet: Skylet) -> None:
    run = ('echo "rank=$SKYPILOT_NODE_RANK n=$SKYPILOT_NUM_NODES'
           ' ips=$(echo "$SKYPILOT_NODE_IPS" | paste -sd,) job=$SKYPILOT_JOB_ID'
           ' task=$SKYPILOT_TASK_ID gpus=$SKYPILOT_NUM_GPUS_PER_NODE user_env=$MY_VAR'
           ' home=$HOME cwd=$PWD"; echo "info=$SKYPILOT_CLUSTER_INFO"')
    setup = 'echo "setup rank=$SKYPILOT_SETUP_NODE_RANK of $SKYPILOT_SETUP_NUM_NODES"'
    job_id = skylet.submit(run, setup=setup, envs={"MY_VAR": "hello world"}, name="env job")
    assert skylet.wait_status(job_id, TERMINAL) == "SUCCEEDED"
    job = skylet.job(job_id)
    assert job["log_dir"] == f"~/sky_logs/{job_id}-env-job"
    assert job["exit_codes"] == [0, 0]
    assert job["resources"] == "2x(CPU:0.5)"
    text = skylet.run_log(job_id)
    homes = [skylet.cluster.home(0), skylet.cluster.home(1)]
    for rank, (name, ip_part) in enumerate([("head", ""), ("worker1", f", ip={WORKER_IP}")]):
        prefix = rf"\({name}, rank={rank}, pid=\d+{re.escape(ip_part)}\) "
        expected = (f"rank={rank} n=2 ips={HEAD_IP},{WORKER_IP} job={job_id} task=task-1 gpus=0"
                    f" user_env=hello world home={homes[rank]} cwd={homes[rank]}")
        assert re.search(prefix + re.escape(expected), text), text
        assert re.search(prefix + re.escape(f"setup rank={rank} of 2"), text), text
        node_log = (skylet.log_dir(job_id) / f"{rank}-{name}.log").read_text()
        assert node_log.startswith(expected), node_log
    info = re.search(r"info=(\{.*\})", text)
    assert info and json.loads(info.group(1)) == {"cluster_name": "skylet-test"}
    setup_log = (skylet.log_dir(job_id) / "setup.log").read_text()
    assert "setup rank=0 of 2" in setup_log and "setup rank=1 of 2" in setup_log


def test_single_node_job_log_is_unprefixed(skylet: Skylet) -> None:
    job_id = skylet.submit("echo one; echo two >&2", num_nodes=1)
    assert skylet.wait_status(job_id, TERMINAL) == "SUCCEEDED"
    assert skylet.run_log(job_id) == "one\ntwo\n"


def test_gpu_job_sees_its_cuda_visible_devices(skylet: Skylet) -> None:
    run = ('echo "rank=$SKYPILOT_NODE_RANK gpus=$SKYPILOT_NUM_GPUS_PER_NODE'
           ' cvd=${CUDA_VISIBLE_DEVICES-unset}"')
    job_id = skylet.submit(run, demand={"CPU": 0.5, "GPU": 1}, num_gpus_per_node=1)
    assert skylet.wait_status(job_id, TERMINAL) == "SUCCEEDED"
    text = skylet.run_log(job_id)
    assert "rank=0 gpus=1 cvd=0" in text and "rank=1 gpus=1 cvd=0" in text, text
    cpu_only = skylet.submit(run, num_nodes=1)
    assert skylet.wait_status(cpu_only, TERMINAL) == "SUCCEEDED"
    assert skylet.run_log(cpu_only) == "rank=0 gpus=0 cvd=unset\n"


def test_setup_failure(skylet: Skylet) -> None:
    job_id = skylet.submit("echo RUN-STARTED", setup='[ "$SKYPILOT_NODE_RANK" = 0 ] || exit 7')
    assert skylet.wait_status(job_id, TERMINAL) == "FAILED_SETUP"
    assert skylet.job(job_id)["exit_codes"] == [0, 7]
    assert "RUN-STARTED" not in skylet.run_log(job_id)


def test_nonzero_exit_fails_and_kills_other_ranks(skylet: Skylet) -> None:
    run = 'if [ "$SKYPILOT_NODE_RANK" = 1 ]; then exit 3; fi; sleep 60'
    started = time.time()
    job_id = skylet.submit(run)
    assert skylet.wait_status(job_id, TERMINAL, timeout=20) == "FAILED"
    assert time.time() - started < 15  # rank 0's sleep was killed, not waited for
    codes = skylet.job(job_id)["exit_codes"]
    assert codes[1] == 3 and codes[0] != 0
    proc = skylet.run("tail", "--job-id", str(job_id))
    assert proc.returncode == 100


def test_cancel_kills_processes_on_both_nodes(skylet: Skylet) -> None:
    run = "sleep 300 & echo SLEEPPID $!; setsid sleep 301 & echo DETACHED $!; wait"
    job_id = skylet.submit(run)
    text = skylet.wait_log(job_id, "DETACHED", count=2)
    pids = _pids(text, "SLEEPPID") + _pids(text, "DETACHED")
    assert len(pids) == 4 and all(procs.pid_alive(pid) for pid in pids)
    assert skylet.status(job_id) == "RUNNING"
    assert skylet.json("cancel", "--job-ids", str(job_id)) == {"cancelled": [job_id]}
    assert not [pid for pid in pids if procs.pid_alive(pid)]
    assert skylet.status(job_id) == "CANCELLED"
    assert skylet.json("cancel", "--job-ids", str(job_id)) == {"cancelled": []}
    proc = skylet.run("tail", "--job-id", str(job_id))
    assert proc.returncode == 103
    assert b"SLEEPPID" in proc.stdout


def test_fifo_with_all_cpus(skylet: Skylet) -> None:
    ids = [skylet.submit(f"echo job{i}; sleep 1", demand={"CPU": 2}) for i in range(3)]
    assert skylet.status(ids[2]) == "PENDING"
    for job_id in ids:
        assert skylet.wait_status(job_id, TERMINAL, timeout=30) == "SUCCEEDED"
    jobs = [skylet.job(job_id) for job_id in ids]
    for earlier, later in zip(jobs, jobs[1:], strict=False):
        assert later["start_at"] >= earlier["end_at"], (earlier, later)


def test_tail_exit_codes_and_follow(skylet: Skylet) -> None:
    assert skylet.run("tail", "--job-id", "99999").returncode == 102
    job_id = skylet.submit("for i in 1 2 3; do echo line$i; sleep 0.3; done", num_nodes=1)
    proc = skylet.run("tail", "--job-id", str(job_id), "--follow")
    assert proc.returncode == 0
    assert proc.stdout == b"line1\nline2\nline3\n"
    last = skylet.run("tail", "--job-id", str(job_id), "--no-follow", "--tail", "1")
    assert (last.returncode, last.stdout) == (0, b"line3\n")

    running = skylet.submit("echo started; sleep 30", num_nodes=1)
    skylet.wait_log(running, "started")
    proc = skylet.run("tail", "--job-id", str(running), "--no-follow")
    assert (proc.returncode, proc.stdout) == (101, b"started\n")
    skylet.json("cancel", "--job-ids", str(running))
    assert skylet.run("tail").returncode == 103  # the latest job


def test_queue_and_status(skylet: Skylet) -> None:
    mine = skylet.submit("sleep 30", num_nodes=1, username="bob", name="bobs")
    skylet.wait_status(mine, {"RUNNING"})
    jobs = skylet.json("queue", "--all-users")["jobs"]
    assert [job["job_id"] for job in jobs] == sorted((job["job_id"] for job in jobs), reverse=True)
    assert set(jobs[0]) == {"job_id", "name", "username", "submitted_at", "start_at", "end_at",
                            "status", "resources", "log_dir", "exit_codes"}
    active = skylet.json("queue", "--all-users", "--skip-finished")["jobs"]
    assert [job["job_id"] for job in active] == [mine]
    bobs = skylet.json("queue", "--user", "bob")["jobs"]
    assert [job["job_id"] for job in bobs] == [mine]
    assert skylet.json("status", "--job-ids", str(mine), "123456") == {
        "statuses": {str(mine): "RUNNING", "123456": None}}
    assert skylet.json("status") == {"statuses": {str(mine): "RUNNING"}}
    assert skylet.json("cancel", "--all", "--user", "nobody") == {"cancelled": []}
    assert skylet.json("cancel", "--all", "--user", "bob") == {"cancelled": [mine]}


def test_usage_errors(skylet: Skylet) -> None:
    error = skylet.json("cancel", expect_rc=2)
    assert error["type"] == "UsageError"
    error = skylet.json("submit", stdin='{"num_nodes": 3, "node_ips": ["x"]}', expect_rc=2)
    assert "node_ips" in error["error"]


def test_submit_to_first_output_latency(skylet: Skylet, capsys: pytest.CaptureFixture) -> None:
    samples = []
    for nodes in (1, 1, 1, 2, 2, 2):
        start = time.time()
        job_id = skylet.submit("echo hi", num_nodes=nodes)
        path = skylet.home / f"sky_logs/{job_id}-test-job/run.log"
        while b"hi" not in (path.read_bytes() if path.exists() else b""):
            assert time.time() - start < 30
            time.sleep(0.002)
        samples.append((nodes, time.time() - start))
        skylet.wait_status(job_id, TERMINAL)
    with capsys.disabled():
        for nodes in (1, 2):
            values = [s for n, s in samples if n == nodes]
            print(f"\n[skylet] submit -> first output of `echo hi` ({nodes} node(s)), incl. the"
                  f" CLI's Python start: median {statistics.median(values) * 1000:.0f} ms,"
                  f" all {[round(v * 1000) for v in values]} ms")


def test_autostop_runs_stop_command_once(skylet: Skylet, tmp_path) -> None:
    skylet.json("cancel", "--all")
    marker = tmp_path / "stopped"
    counter = tmp_path / "count"
    skylet.json("set-autostop", "--idle-minutes", "0.02", "--stop-command",
                f"echo x >> {counter}; touch {marker}", "--down-command", "false")
    status = skylet.json("autostop-status")
    assert status["idle_minutes"] == 0.02 and status["down"] is False
    deadline = time.time() + 20
    while not marker.exists():
        assert time.time() < deadline, "autostop did not run"
        time.sleep(0.1)
    assert skylet.json("autostop-status")["autostopping"] is True
    time.sleep(3 * 1.2)  # several more ticks: it must not fire again
    assert counter.read_text() == "x\n"
    skylet.json("set-autostop", "--idle-minutes", "-1")
    status = skylet.json("autostop-status")
    assert status["autostopping"] is False and status["idle_minutes"] == -1
