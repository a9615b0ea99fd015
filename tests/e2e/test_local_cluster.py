"""End to end on the local driver with real Ray and skylet: a SkyPilot user's day.

One 2-node cluster is shared by the job tests (launching costs seconds on 2 cores); lifecycle
tests use their own 1-node clusters. Nothing here mocks skycore: tasks go through the SDK the CLI
uses, and process checks read /proc.
"""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

import pytest

from skycore import core as sdk
from skycore import errors
from skycore.state import clusters
from skycore.task import Task, load_dag
from skycore.testing.isolation import local_cluster_pids, local_cluster_uid
from skycore.utils import procs

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
CPUS = os.cpu_count() or 1


def _task(run: str, **overrides: object) -> Task:
    task = Task.from_command(run)
    return task.with_overrides(**overrides) if overrides else task


def _wait_status(cluster: str, job_id: int, wanted: set[str], timeout: float = 60) -> str:
    deadline = time.time() + timeout
    status = None
    while time.time() < deadline:
        status = sdk.job_status(cluster, [job_id]).get(job_id)
        if status in wanted:
            return status
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} stayed {status}, wanted {wanted}")


def _wait_no_processes(uid: str, timeout: float = 15) -> None:
    """Autostop runs its teardown as a node process that exits right after its work."""
    deadline = time.time() + timeout
    while local_cluster_pids(uid):
        assert time.time() < deadline, f"left behind: {local_cluster_pids(uid)}"
        time.sleep(0.2)


def _logs(cluster: str, job_id: int) -> str:
    out = io.BytesIO()
    sdk.tail_logs(cluster, job_id, follow=False, out=out)
    return out.getvalue().decode()


@pytest.fixture(scope="module")
def multi(sky_home: Path):
    """The hello example on a 2-node cluster; torn down at the end of the module."""
    name = "e2e-multi"
    out = io.BytesIO()
    result = sdk.launch(load_dag(REPO / "examples" / "hello.yaml"), name, out=out)
    yield name, result, out.getvalue().decode()
    sdk.down(name)


def test_hello_runs_on_two_nodes_with_ranks_and_ips(multi) -> None:
    name, result, output = multi
    assert result.exit_code == 0, output
    assert sdk.job_status(name, [result.job_id])[result.job_id] == "SUCCEEDED"
    record = clusters.get(name)
    assert record is not None and record.num_nodes == 2
    ips = record.handle["node_ips"]
    assert len(set(ips)) == 2 and all(ip.startswith("127.0.") for ip in ips)
    assert "127.0.0.1" not in ips
    assert "hello from rank 0 of 2" in output
    assert "hello from rank 1 of 2" in output
    assert f"node IPs: {ips[0]} {ips[1]}" in output
    assert "setup on node 0" in output and "setup on node 1" in output


def test_each_rank_sees_its_environment(multi) -> None:
    name, _, _ = multi
    task = _task('echo "R=$SKYPILOT_NODE_RANK N=$SKYPILOT_NUM_NODES U=$MYVAR '
                 'HOME_OK=$([ -d "$HOME" ] && echo y) INFO=$SKYPILOT_CLUSTER_INFO"',
                 num_nodes=2, envs={"MYVAR": "v1"})
    out = io.BytesIO()
    result = sdk.exec(task, name, out=out)
    text = out.getvalue().decode()
    assert result.exit_code == 0, text
    for rank in (0, 1):
        assert f"R={rank} N=2 U=v1 HOME_OK=y" in text
    assert '"cluster_name": "e2e-multi"' in text


def test_nodes_have_separate_homes(multi) -> None:
    name, _, _ = multi
    out = io.BytesIO()
    sdk.exec(_task('echo "HOME=$HOME"', num_nodes=2), name, out=out)
    homes = {line.split("HOME=")[1].strip() for line in out.getvalue().decode().splitlines()
             if "HOME=" in line}
    assert len(homes) == 2


def test_setup_failure_is_failed_setup(multi) -> None:
    name, _, _ = multi
    task = Task.from_yaml_config({"setup": "echo broken-setup; exit 3", "run": "echo never-run"})
    result = sdk.launch(task, name, out=io.BytesIO())
    assert result.exit_code == 100
    assert sdk.job_status(name, [result.job_id])[result.job_id] == "FAILED_SETUP"
    assert "never-run" not in _logs(name, result.job_id)


def test_nonzero_exit_is_failed_with_exit_code(multi) -> None:
    name, _, _ = multi
    result = sdk.exec(_task("echo about-to-fail; exit 7"), name, out=io.BytesIO())
    assert result.exit_code == 100
    job = next(j for j in sdk.queue(name) if j["job_id"] == result.job_id)
    assert job["status"] == "FAILED"
    assert 7 in (job["exit_codes"] or [])


def test_cancel_kills_the_running_job(multi) -> None:
    name, _, _ = multi
    result = sdk.exec(_task("echo started; sleep 300", num_nodes=2), name, detach_run=True)
    _wait_status(name, result.job_id, {"RUNNING"})
    uid = local_cluster_uid(Path(os.environ["SKY_HOME"]), clusters.get(name)
                            .handle["cluster_name_on_cloud"])
    deadline = time.time() + 20
    sleepers: set[int] = set()
    while len(sleepers) < 2:
        assert time.time() < deadline, f"expected a sleep on each node, found {sleepers}"
        time.sleep(0.2)
        sleepers = {p for p in local_cluster_pids(uid) if _cmdline(p).startswith("sleep 300")}
    assert sdk.cancel(name, [result.job_id]) == [result.job_id]
    assert sdk.job_status(name, [result.job_id])[result.job_id] == "CANCELLED"
    deadline = time.time() + 15
    while any(os.path.exists(f"/proc/{p}") and _cmdline(p) for p in sleepers):
        assert time.time() < deadline, "cancelled job's processes are still running"
        time.sleep(0.2)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_fifo_queue_order(multi) -> None:
    """Jobs that each need every CPU of both nodes must run one at a time, in order."""
    name, _, _ = multi
    ids = []
    for i in range(3):
        task = _task(f"echo start-{i} $(date +%s.%N); sleep 1; echo end-{i} $(date +%s.%N)",
                     cpus=str(CPUS), num_nodes=2)
        ids.append(sdk.exec(task, name, detach_run=True).job_id)
    for job_id in ids:
        _wait_status(name, job_id, {"SUCCEEDED"}, timeout=90)
    spans = []
    for i, job_id in enumerate(ids):
        text = _logs(name, job_id)
        start = float(text.split(f"start-{i} ")[1].split()[0])
        end = float(text.split(f"end-{i} ")[1].split()[0])
        spans.append((start, end))
    for earlier, later in zip(spans, spans[1:], strict=False):
        assert earlier[1] <= later[0], f"jobs overlapped or ran out of order: {spans}"


def test_second_launch_reuses_the_cluster(multi) -> None:
    name, _, _ = multi
    before = clusters.get(name)
    result = sdk.launch(_task("echo reused", num_nodes=2), name, out=io.BytesIO())
    after = clusters.get(name)
    assert result.exit_code == 0
    assert after.cluster_hash == before.cluster_hash
    assert after.handle["node_ips"] == before.handle["node_ips"]
    assert after.launched_at == before.launched_at


def test_task_larger_than_cluster_is_refused(multi) -> None:
    name, _, _ = multi
    with pytest.raises(errors.ResourcesMismatchError, match="3 nodes"):
        sdk.exec(_task("true", num_nodes=3), name)


def test_stop_start_autostop_then_down_leaves_no_process(sky_home: Path) -> None:
    name = "e2e-life"
    result = sdk.launch(_task("echo first"), name, out=io.BytesIO())
    assert result.exit_code == 0
    record = clusters.get(name)
    uid = local_cluster_uid(sky_home, record.handle["cluster_name_on_cloud"])
    pids_up = local_cluster_pids(uid)
    assert pids_up, "an UP cluster runs Ray and skylet processes"

    sdk.stop(name)
    assert sdk.status([name])[0]["status"] == "STOPPED"
    assert not local_cluster_pids(uid)
    node_home = Path(sky_home / "local" / record.handle["cluster_name_on_cloud"] / "node-0")
    assert node_home.is_dir(), "stop keeps the node directories"
    with pytest.raises(errors.ClusterNotUpError, match="sky start"):
        sdk.exec(_task("true"), name)

    sdk.start(name)
    assert sdk.status([name], refresh=True)[0]["status"] == "UP"
    out = io.BytesIO()
    assert sdk.exec(_task("echo after-start"), name, out=out).exit_code == 0
    assert "after-start" in out.getvalue().decode()
    pids_restarted = local_cluster_pids(uid)

    # autostop (stop, not down): skylet stops the idle cluster by itself
    sdk.autostop(name, 0.02)
    deadline = time.time() + 60
    while sdk.status([name], refresh=True)[0]["status"] != "STOPPED":
        assert time.time() < deadline, "autostop did not stop the cluster"
        time.sleep(1)
    _wait_no_processes(uid)
    assert node_home.is_dir()

    sdk.down(name)
    assert clusters.get(name) is None
    assert not procs.alive(pids_up | pids_restarted), "down left processes behind"
    assert not local_cluster_pids(uid)
    assert not node_home.exists()
    assert sdk.status([name]) == []


def test_autostop_with_down_tears_the_cluster_down(sky_home: Path) -> None:
    name = "e2e-autodown"
    result = sdk.launch(_task("echo short"), name, out=io.BytesIO())
    assert result.exit_code == 0
    record = clusters.get(name)
    uid = local_cluster_uid(sky_home, record.handle["cluster_name_on_cloud"])
    sdk.autostop(name, 0.02, down=True)
    assert sdk.status([name])[0]["autostop"] == pytest.approx(0.02)
    deadline = time.time() + 60
    while sdk.status([name], refresh=True):
        assert time.time() < deadline, "autodown did not happen"
        time.sleep(1)
    _wait_no_processes(uid)
    assert not (sky_home / "local" / record.handle["cluster_name_on_cloud"]).exists()


def test_workdir_and_file_mounts_reach_every_node(multi, tmp_path: Path) -> None:
    name, _, _ = multi
    workdir = tmp_path / "proj"
    workdir.mkdir()
    (workdir / "data.txt").write_text("workdir-payload")
    (workdir / "ignored.log").write_text("nope")
    (workdir / ".gitignore").write_text("*.log\n")
    mounted = tmp_path / "config.json"
    mounted.write_text('{"k": 1}')
    task = Task.from_yaml_config({
        "workdir": str(workdir),
        "num_nodes": 2,
        "file_mounts": {"~/mounted/config.json": str(mounted)},
        "run": 'echo "cwd=$(basename $PWD) data=$(cat data.txt) mount=$(cat ~/mounted/config.json)'
               ' ignored=$(ls ignored.log 2>/dev/null || echo none)"',
    })
    out = io.BytesIO()
    result = sdk.launch(task, name, out=out)
    text = out.getvalue().decode()
    assert result.exit_code == 0, text
    line = 'cwd=sky_workdir data=workdir-payload mount={"k": 1}'
    assert text.count(line) == 2, text
    # rsync honours .gitignore like SkyPilot; the copy fallback (no rsync) keeps the file
    expected = "ignored=none" if shutil.which("rsync") else "ignored=ignored.log"
    assert text.count(expected) == 2, text
