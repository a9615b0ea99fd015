"""Ray tasks that run on the cluster's nodes: run one command and stream its output, kill a job's
processes, warm a worker.

Why streaming generators: on a real cluster the nodes share no disk, so a worker node's output must
travel back through Ray. Each `run_command` task yields its process's PID, then output chunks as
soon as they are read, then the exit code; the job host (the task's owner, on the head) writes them
to the logs. Chunks are coalesced only while more output is already waiting, so latency stays at
one pipe read.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
from collections.abc import Iterator
from typing import Any

import ray

from skylet import procs

_MAX_CHUNK = 256 * 1024


def _bash() -> str:
    return shutil.which("bash") or "/bin/bash"


def _command_env(payload: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(payload["env"])
    if payload.get("gpus"):
        ids = ray.get_runtime_context().get_accelerator_ids().get("GPU", [])
        env["CUDA_VISIBLE_DEVICES"] = ",".join(str(i) for i in ids)
    elif env.get("CUDA_VISIBLE_DEVICES") == "":
        # Ray blanks it for tasks without GPUs; a job that asked for none should see the node as is.
        env.pop("CUDA_VISIBLE_DEVICES")
    return env


def _workdir(workdir: str | None) -> str:
    """`workdir` on this node (expanded with this node's HOME) if it exists, else HOME."""
    if workdir:
        path = os.path.expanduser(workdir)
        if os.path.isdir(path):
            return path
    return os.path.expanduser("~")


def _exit_code(returncode: int) -> int:
    """Shell convention: a process killed by signal N exits 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def run_command(payload: dict[str, Any]) -> Iterator[Any]:
    """Run `bash -c <cmd>` in its own session; yield ("pid", n), bytes chunks, ("exit", code).

    payload: cmd, env (overlay, includes the job marker), workdir, gpus (bool).
    """
    proc = subprocess.Popen(
        [_bash(), "-c", payload["cmd"]],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=_command_env(payload),
        cwd=_workdir(payload.get("workdir")),
        start_new_session=True,
        close_fds=True,
    )
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    try:
        yield ("pid", proc.pid)
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            while len(data) < _MAX_CHUNK and select.select([fd], [], [], 0)[0]:
                more = os.read(fd, 65536)
                if not more:
                    break
                data += more
            yield data
        yield ("exit", _exit_code(proc.wait()))
    finally:
        # Reached early only when the task is cancelled or its owner died: take the session down.
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
        proc.stdout.close()


def kill_markers(marker_key: str, markers: list[str], grace: float) -> list[int]:
    """Kill every process on this node that carries one of `markers` (and its descendants)."""
    return procs.kill_marked(marker_key, markers, grace=grace)


def warm() -> int:
    """Nothing: running it makes Ray start (and keep) a worker on the node, importing skylet."""
    return os.getpid()


run_command_task = ray.remote(num_returns="streaming", max_retries=0)(run_command)
kill_markers_task = ray.remote(num_cpus=0, max_retries=0)(kill_markers)
warm_task = ray.remote(num_cpus=0, max_retries=0)(warm)
