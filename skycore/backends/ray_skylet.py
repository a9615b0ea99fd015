"""The default backend: Ray for cluster membership and gang scheduling, skylet for jobs.

Everything here reaches nodes through command runners, and talks to skylet only through its JSON
CLI (``python -m skylet <verb> --json``), so the same code drives local process groups, SSH hosts
or pods, and skylet never imports skycore.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO

from skycore import errors
from skycore.interfaces.backend import Backend, ConnectedCluster
from skycore.interfaces.command_runner import CommandRunner
from skycore.interfaces.provision import NodeRuntime

WORKDIR = "~/sky_workdir"
LogFn = Callable[[str], None]
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_DEDUP_LOGS": "0"}
#: default per-node CPU demand of a job, as in SkyPilot (several jobs may share a node)
DEFAULT_TASK_CPU_DEMAND = 0.5

# Free ports are chosen on the node itself (a remote node's ports are not ours to probe).
_FREE_PORTS = (
    "import socket\n"
    "ss=[socket.socket() for _ in range({n})]\n"
    "[s.bind(('{ip}',0)) for s in ss]\n"
    "print(' '.join(str(s.getsockname()[1]) for s in ss))"
)
_PORT_NAMES = ("NODE_MANAGER", "OBJECT_MANAGER", "AGENT_LISTEN", "AGENT_GRPC", "RUNTIME_ENV",
               "METRICS")


def _ray_start_script(runtime: NodeRuntime, ip: str, *, head_address: str | None) -> str:
    """Bash that starts one Ray node on free ports; prints ``GCS_PORT=<port>`` for the head."""
    python = shlex.quote(runtime.python or "python3")
    names = (("GCS",) if head_address is None else ()) + _PORT_NAMES
    resources = json.dumps({k: v for k, v in runtime.accelerators.items()})
    args = [f"--node-ip-address={ip}", "--disable-usage-stats", "--include-log-monitor=false",
            f"--num-cpus={int(runtime.ray_cpus)}", "--node-manager-port=$NODE_MANAGER",
            "--object-manager-port=$OBJECT_MANAGER", "--dashboard-agent-listen-port=$AGENT_LISTEN",
            "--dashboard-agent-grpc-port=$AGENT_GRPC", "--runtime-env-agent-port=$RUNTIME_ENV",
            "--metrics-export-port=$METRICS"]
    if runtime.ray_gpus:
        args.append(f"--num-gpus={int(runtime.ray_gpus)}")
    if runtime.accelerators:
        args.append(f"--resources={shlex.quote(resources)}")
    if runtime.ray_temp_dir:
        args.append(f"--temp-dir={shlex.quote(runtime.ray_temp_dir)}")
    if runtime.ray_object_store_bytes:
        args.append(f"--object-store-memory={runtime.ray_object_store_bytes}")
    if head_address is None:
        args += ["--head", "--port=$GCS", "--include-dashboard=false"]
    else:
        args.append(f"--address={head_address}")
    free_ports = _FREE_PORTS.format(n=len(names), ip=ip)
    return "\n".join([
        "set -o pipefail",
        "mkdir -p ~/.sky",
        f"read -r {' '.join(names)} <<< \"$({python} -c {shlex.quote(free_ports)})\"",
        f"RAY=\"$(dirname {python})/ray\"",
        # daemons inherit the log file, never our pipe, so this returns when Ray is up
        f"\"$RAY\" start {' '.join(args)} > ~/.sky/ray_start.log 2>&1 < /dev/null",
        "rc=$?",
        "if [ $rc -ne 0 ]; then tail -n 40 ~/.sky/ray_start.log >&2; exit $rc; fi",
        "echo GCS_PORT=${GCS:-}" if head_address is None else "true",
    ])


class RaySkyletBackend(Backend):
    name = "ray-skylet"

    # ------------------------------------------------------------------ skylet access
    @staticmethod
    def skylet(runner: CommandRunner, python: str, verb: str, *args: str,
               stdin: dict[str, Any] | None = None, timeout: float | None = 120) -> dict[str, Any]:
        """Call ``python -m skylet <verb> --json`` on the head and decode its answer."""
        command = shlex.join([python, "-m", "skylet", verb, *args, "--json"])
        result = runner.run(command, stdin=json.dumps(stdin).encode() if stdin else None,
                            timeout=timeout)
        try:
            payload = json.loads(result.stdout.decode() or "{}")
        except ValueError:
            payload = {}
        if result.returncode != 0:
            message = payload.get("error") or result.stderr.decode(errors="replace")[-2000:]
            raise errors.CommandError(result.returncode, f"skylet {verb}",
                                      f"skylet {verb} failed on {runner.node_id}: {message}")
        return payload

    # ------------------------------------------------------------------ runtime
    def setup_runtime(self, cluster: ConnectedCluster, log: LogFn) -> str:
        """Start Ray on every node and the skylet daemon on the head; return the Ray address."""
        runners, runtime = cluster.runners, cluster.runtime
        if runtime.python is None:
            raise errors.NotSupportedError(
                "Installing the runtime on remote nodes arrives with the SSH/cloud drivers; "
                "this provider must provide a ready Python runtime.")
        head = runners[0]
        log("Starting Ray on the head node")
        result = head.run(_ray_start_script(runtime, head.ip, head_address=None), env=RAY_ENV)
        if result.returncode != 0:
            raise errors.CommandError(result.returncode, "ray start --head",
                                      "Failed to start Ray on the head node",
                                      result.stderr.decode(errors="replace"))
        gcs_port = int(result.text.strip().rsplit("GCS_PORT=", 1)[1].split()[0])
        address = f"{head.ip}:{gcs_port}"
        if len(runners) > 1:
            log(f"Starting Ray on {len(runners) - 1} worker node(s)")

            def start_worker(runner: CommandRunner) -> None:
                res = runner.run(_ray_start_script(runtime, runner.ip, head_address=address),
                                 env=RAY_ENV)
                if res.returncode != 0:
                    raise errors.CommandError(res.returncode, "ray start",
                                              f"Failed to start Ray on {runner.node_id}",
                                              res.stderr.decode(errors="replace"))

            with ThreadPoolExecutor(max_workers=len(runners) - 1) as pool:
                list(pool.map(start_worker, runners[1:]))
        log("Starting skylet on the head node")
        self.skylet(head, runtime.python, "start-daemon", "--ray-address", address,
                    "--cluster-name", cluster.name, timeout=180)
        return address

    def runtime_healthy(self, cluster: ConnectedCluster) -> bool:
        runners, runtime = cluster.runners, cluster.runtime
        try:
            health = self.skylet(runners[0], runtime.python or "python3", "health", timeout=30)
        except errors.SkyError:
            return False
        # SkyPilot's rule: UP needs the agent *and* every node in Ray
        ray_nodes = health.get("ray_nodes")
        return bool(health.get("daemon_alive")) and ray_nodes is not None and {
            r.ip for r in runners} <= set(ray_nodes)

    def repair_runtime(self, cluster: ConnectedCluster, log: LogFn) -> bool:
        """Restart only the skylet agent when Ray is still up on the head.

        Running jobs live in skylet's job host inside Ray, so they survive this; a full restart
        would kill them. Returns False when Ray itself is gone (the caller restarts everything).
        """
        address = cluster.handle.get("ray_address")
        if not address:
            return False
        head, python = cluster.runners[0], cluster.runtime.python or "python3"
        host, port = address.rsplit(":", 1)
        probe = (f"import socket; socket.create_connection(({host!r}, {int(port)}), 2).close()")
        if head.run(shlex.join([python, "-c", probe]), timeout=30).returncode != 0:
            return False
        log("Ray is up; restarting skylet on the head node")
        try:
            self.skylet(head, python, "start-daemon", "--ray-address", address,
                        "--cluster-name", cluster.name, timeout=120)
        except errors.SkyError:
            return False
        return self.runtime_healthy(cluster)

    # ------------------------------------------------------------------ sync
    def sync_workdir(self, cluster: ConnectedCluster, workdir: str) -> None:
        runners = cluster.runners
        source = workdir.rstrip("/") + "/"
        with ThreadPoolExecutor(max_workers=max(1, len(runners))) as pool:
            list(pool.map(lambda r: r.rsync_up(source, WORKDIR), runners))

    def sync_file_mounts(self, cluster: ConnectedCluster, mounts: dict[str, str]) -> None:
        import os
        runners = cluster.runners

        def sync(runner: CommandRunner) -> None:
            for dst, src in mounts.items():
                src = os.path.expanduser(src)
                runner.rsync_up(src + "/" if os.path.isdir(src) else src, dst)

        with ThreadPoolExecutor(max_workers=max(1, len(runners))) as pool:
            list(pool.map(sync, runners))

    # ------------------------------------------------------------------ jobs
    def submit(self, cluster: ConnectedCluster, task: Any, *, include_setup: bool,
               username: str = "", demand: dict[str, float] | None = None,
               cluster_info: dict[str, Any] | None = None) -> int:
        runners, runtime = cluster.runners, cluster.runtime
        envs = {**task.envs, **{k: v for k, v in task.secrets.items() if v is not None}}
        spec = {
            "name": task.name or "sky-cmd",
            "username": username,
            "run": task.run,
            "setup": task.setup if include_setup else None,
            "envs": envs,
            "num_nodes": task.num_nodes,
            "node_ips": [r.ip for r in runners],
            "demand": demand or {"CPU": DEFAULT_TASK_CPU_DEMAND},
            "num_gpus_per_node": (demand or {}).get("GPU", 0),
            "task_id": f"sky-{cluster.name}-{username}",
            "cluster_info": cluster_info or {},
            "workdir": WORKDIR if task.workdir else None,
            "resources_str": f"{task.num_nodes}x[" + ", ".join(
                f"{k}:{v:g}" for k, v in (demand or {"CPU": DEFAULT_TASK_CPU_DEMAND}).items())
            + "]",
        }
        reply = self.skylet(runners[0], runtime.python or "python3", "submit", stdin=spec)
        return int(reply["job_id"])

    def tail_logs(self, cluster: ConnectedCluster, job_id: int | None, *, follow: bool,
                  out: BinaryIO) -> int:
        runners, runtime = cluster.runners, cluster.runtime
        args = [runtime.python or "python3", "-m", "skylet", "tail",
                "--follow" if follow else "--no-follow"]
        if job_id is not None:
            args += ["--job-id", str(job_id)]
        return runners[0].run(shlex.join(args), stream_to=out).returncode

    def queue(self, cluster: ConnectedCluster, *, skip_finished: bool, all_users: bool
              ) -> list[dict[str, Any]]:
        args = (["--skip-finished"] if skip_finished else []) + (
            ["--all-users"] if all_users else [])
        return self._head_call(cluster, "queue", *args)["jobs"]

    def job_statuses(self, cluster: ConnectedCluster, job_ids: list[int] | None
                     ) -> dict[int | None, str | None]:
        args = ["--job-ids", *map(str, job_ids)] if job_ids else []
        reply = self._head_call(cluster, "status", *args)["statuses"]
        return {(int(k) if k not in (None, "null", "None") else None): v
                for k, v in reply.items()}

    def cancel(self, cluster: ConnectedCluster, job_ids: list[int] | None, *, all_jobs: bool
               ) -> list[int]:
        args = ["--all"] if all_jobs or not job_ids else ["--job-ids", *map(str, job_ids)]
        return [int(j) for j in self._head_call(cluster, "cancel", *args)["cancelled"]]

    def set_autostop(self, cluster: ConnectedCluster, idle_minutes: float, down: bool,
                     stop_commands: tuple[str, str] = ("", "")) -> None:
        args = ["--idle-minutes", str(idle_minutes), "--stop-command", stop_commands[0],
                "--down-command", stop_commands[1]]
        if down:
            args.append("--down")
        self._head_call(cluster, "set-autostop", *args)

    def autostop_status(self, cluster: ConnectedCluster) -> dict[str, Any]:
        return self._head_call(cluster, "autostop-status")

    def _head_call(self, cluster: ConnectedCluster, verb: str, *args: str) -> dict[str, Any]:
        runners, runtime = cluster.runners, cluster.runtime
        return self.skylet(runners[0], runtime.python or "python3", verb, *args)

