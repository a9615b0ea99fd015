"""One job's driver: a thread in the job host that gang-schedules the job and runs it on its nodes.

Why a thread in a long-lived process (not a process per job): the job host (`host.py`, a detached
Ray actor on the head) is already a Ray worker, so a job starts in milliseconds (placement group +
tasks on warm workers) instead of paying a fresh Python + `ray.init` (~1.5 s). The host outlives
the skylet daemon, so jobs survive a daemon restart; if the host itself dies (Ray restarted, the
actor killed), the next daemon reconciles its jobs to FAILED_DRIVER and kills their processes.

Flow (SkyPilot's): one STRICT_SPREAD placement group with one bundle (= `demand`) per node →
ranks by each bundle's node position in `node_ips` → setup on every node (SETTING_UP; any non-zero →
FAILED_SETUP) → run on every node (RUNNING; any non-zero → FAILED and the other nodes' processes
are killed) → SUCCEEDED. Every status write is conditional, so a concurrent cancel always wins.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import ray
from ray.util.placement_group import PlacementGroup, placement_group, remove_placement_group
from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

from skylet import node_tasks, paths
from skylet.job_table import Job, JobStatus, JobTable
from skylet.logs import JobLogs, NodeLabel, NodeStream, label_nodes
from skylet.ray_nodes import Node, RayNodes

log = logging.getLogger("skylet")

_SPECIAL_RESOURCES = ("CPU", "GPU", "memory")
_KILL_RETRY_SECONDS = 1.0


def _number(value: float) -> str:
    """`2.0` → "2" (SkyPilot's env values are integers when they can be)."""
    return str(int(value)) if float(value).is_integer() else str(value)


class JobDriver:
    def __init__(
        self,
        job: Job,
        table: JobTable,
        nodes: RayNodes,
        on_placed: Callable[[JobDriver], None],
        on_done: Callable[[JobDriver], None],
    ) -> None:
        self.job = job
        self.job_id = job.job_id
        self.marker = paths.job_marker(job.job_id)
        self._spec: dict[str, Any] = job.spec
        self._table = table
        self._nodes = nodes
        self._on_placed = on_placed
        self._on_done = on_done
        self._cancel = threading.Event()
        self._placed_once = threading.Lock()
        self._placed_sent = False
        self._done = threading.Event()
        self._pg: PlacementGroup | None = None
        self._node_ids: list[str] = []
        self._thread = threading.Thread(target=self._main, name=f"job-{job.job_id}", daemon=True)

    # ---- control from the scheduler / cancel ----------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def request_cancel(self) -> None:
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def wait_done(self, timeout: float) -> bool:
        return self._done.wait(timeout)

    # ---- the job ---------------------------------------------------------------------------

    def _main(self) -> None:
        logs: JobLogs | None = None
        try:
            logs = JobLogs(paths.expand(self.job.log_dir), multi_node=self._num_nodes > 1)
            self._run(logs)
        except Exception as exc:  # one job's failure must never take the host down
            log.exception("job %s: driver failed", self.job_id)
            if logs is not None:
                logs.message(f"ERROR: skylet driver of job {self.job_id} failed: {exc!r}")
            self._table.set_status(self.job_id, JobStatus.FAILED_DRIVER, end_at=time.time())
            self._kill()
        finally:
            self._finish(logs)

    def _finish(self, logs: JobLogs | None) -> None:
        """Always runs: no job may stay non-terminal without a driver, and the scheduler must
        hear that this driver is gone (else the queue would stall behind it)."""
        try:
            current = self._table.get(self.job_id)
            if current is not None and not current.status.is_terminal:
                log.error("job %s: driver ended with the job %s", self.job_id, current.status.value)
                self._table.set_status(self.job_id, JobStatus.FAILED_DRIVER, end_at=time.time())
                self._kill()
        except Exception:
            log.exception("job %s: final status check failed", self.job_id)
        if self._pg is not None:
            try:
                remove_placement_group(self._pg)
            except Exception:
                log.warning("job %s: could not remove its placement group", self.job_id)
        if logs is not None:
            logs.close()
        self._signal_placed()
        self._done.set()
        self._on_done(self)

    @property
    def _num_nodes(self) -> int:
        return int(self._spec["num_nodes"])

    def _signal_placed(self) -> None:
        """Tell the scheduler (once) that this job no longer blocks the head of the queue."""
        with self._placed_once:
            if self._placed_sent:
                return
            self._placed_sent = True
        self._on_placed(self)

    def _run(self, logs: JobLogs) -> None:
        spec = self._spec
        bundle = {k: float(v) for k, v in spec["demand"].items() if float(v) > 0}
        self._pg = placement_group([dict(bundle) for _ in range(self._num_nodes)],
                                   strategy="STRICT_SPREAD", name=f"skylet-{self.marker}")
        ready = self._pg.ready()
        while not ray.wait([ready], timeout=0.2)[0]:
            if self._cancel.is_set():
                return
        self._signal_placed()
        ranked = self._rank_bundles(self._pg)
        self._node_ids = [node.node_id for _, node in ranked]
        ips = [node.ip for _, node in ranked]
        labels = label_nodes(ips, list(spec["node_ips"]))
        bundles = [index for index, _ in ranked]

        setup, run = spec.get("setup"), spec.get("run")
        first = JobStatus.SETTING_UP if setup else JobStatus.RUNNING
        if not self._table.set_status(self.job_id, first, from_statuses=[JobStatus.PENDING],
                                      start_at=time.time()):
            return  # cancelled while it waited for its nodes
        if setup:
            codes = self._phase("setup", setup, bundles, ips, labels, logs)
            if self._cancel.is_set():
                return
            if any(codes):
                logs.message(f"ERROR: Job {self.job_id}'s setup failed with return code list:"
                             f" {codes}")
                self._table.set_status(self.job_id, JobStatus.FAILED_SETUP, end_at=time.time(),
                                       exit_codes=codes)
                return
            if not self._table.set_status(self.job_id, JobStatus.RUNNING,
                                          from_statuses=[JobStatus.SETTING_UP]):
                return
        codes = self._phase("run", run, bundles, ips, labels, logs) if run else [0] * len(ips)
        if self._cancel.is_set():
            return
        if any(codes):
            logs.message(f"ERROR: Job {self.job_id} failed with return code list: {codes}")
        final = JobStatus.FAILED if any(codes) else JobStatus.SUCCEEDED
        self._table.set_status(self.job_id, final, end_at=time.time(), exit_codes=codes)

    def _rank_bundles(self, pg: PlacementGroup) -> list[tuple[int, Node]]:
        """(bundle index, node) in rank order: by the node's position in the job's `node_ips`.

        Ray decides which node gets which bundle; ranks must follow skycore's stable node list
        (head first), not Ray's choice.
        """
        table = ray.util.placement_group_table(pg)
        placed = [(int(index), Node(node_id, self._nodes.ip_of(node_id)))
                  for index, node_id in table["bundles_to_node_id"].items()]
        order = {ip: pos for pos, ip in enumerate(self._spec["node_ips"])}
        placed.sort(key=lambda item: (order.get(item[1].ip, len(order)), item[1].ip))
        return placed

    def _env(self, phase: str, rank: int, ips: list[str]) -> dict[str, str]:
        spec = self._spec
        env = {str(k): str(v) for k, v in (spec.get("envs") or {}).items()}
        env.update({
            "SKYPILOT_NODE_RANK": str(rank),
            "SKYPILOT_NODE_IPS": "\n".join(ips),
            "SKYPILOT_NUM_NODES": str(len(ips)),
            "SKYPILOT_NUM_GPUS_PER_NODE": _number(spec.get("num_gpus_per_node") or 0),
            "SKYPILOT_TASK_ID": str(spec.get("task_id") or ""),
            "SKYPILOT_CLUSTER_INFO": json.dumps(spec.get("cluster_info") or {}),
            "SKYPILOT_JOB_ID": str(self.job_id),
            paths.MARKER_KEY: self.marker,
        })
        if phase == "setup":
            env.update({
                "SKYPILOT_SETUP_NODE_RANK": str(rank),
                "SKYPILOT_SETUP_NODE_IPS": "\n".join(ips),
                "SKYPILOT_SETUP_NUM_NODES": str(len(ips)),
            })
        return env

    def _task_options(self, phase: str, rank: int, bundle_index: int) -> dict[str, Any]:
        demand = self._spec["demand"]
        options: dict[str, Any] = {
            "scheduling_strategy": PlacementGroupSchedulingStrategy(
                placement_group=self._pg, placement_group_bundle_index=bundle_index,
                placement_group_capture_child_tasks=False),
            "num_cpus": float(demand.get("CPU", 0)),
            "num_gpus": float(demand.get("GPU", 0)),
            "name": f"skylet-job{self.job_id}-{phase}-rank{rank}",
        }
        if float(demand.get("memory", 0)) > 0:
            options["memory"] = float(demand["memory"])
        custom = {k: float(v) for k, v in demand.items()
                  if k not in _SPECIAL_RESOURCES and float(v) > 0}
        if custom:
            options["resources"] = custom
        return options

    def _phase(self, phase: str, cmd: str, bundles: list[int], ips: list[str],
               labels: list[NodeLabel], logs: JobLogs) -> list[int]:
        """Run `cmd` on every rank at once; return the exit codes in rank order.

        The first non-zero exit kills the other ranks' processes (SkyPilot cancels the rest); on
        cancel the kill is repeated until every rank's task has returned.
        """
        results: queue.Queue[tuple[int, int]] = queue.Queue()
        gpus = float(self._spec["demand"].get("GPU", 0)) > 0
        workdir = self._spec.get("workdir")
        for rank, bundle_index in enumerate(bundles):
            payload = {"cmd": cmd, "env": self._env(phase, rank, ips), "workdir": workdir,
                       "gpus": gpus}
            gen = node_tasks.run_command_task.options(
                **self._task_options(phase, rank, bundle_index)).remote(payload)
            stream = logs.stream(phase, labels[rank])
            threading.Thread(target=self._read, args=(rank, gen, stream, logs, results),
                             name=f"job-{self.job_id}-{phase}-{rank}", daemon=True).start()
        codes: list[int] = [255] * len(bundles)
        remaining = len(bundles)
        last_kill: float | None = None
        while remaining:
            try:
                rank, code = results.get(timeout=0.2)
            except queue.Empty:
                if self._cancel.is_set() and (
                        last_kill is None or time.monotonic() - last_kill > _KILL_RETRY_SECONDS):
                    self._kill()
                    last_kill = time.monotonic()
                continue
            codes[rank] = code
            remaining -= 1
            if code != 0 and remaining and last_kill is None:
                self._kill()
                last_kill = time.monotonic()
        return codes

    def _read(self, rank: int, gen: Any, stream: NodeStream, logs: JobLogs,
              results: queue.Queue[tuple[int, int]]) -> None:
        code = 255
        try:
            for ref in gen:
                item = ray.get(ref)
                if isinstance(item, bytes):
                    stream.feed(item)
                elif item[0] == "pid":
                    stream.set_pid(int(item[1]))
                elif item[0] == "exit":
                    code = int(item[1])
        except Exception as exc:  # node died, worker crashed, ...
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            logs.message(f"ERROR: rank {rank} of job {self.job_id} lost: {first_line}")
        finally:
            stream.finish()
            results.put((rank, code))

    def _kill(self) -> None:
        """Kill this job's processes on its nodes (all nodes when it was never placed)."""
        try:
            self._nodes.kill([self.marker], node_ids=self._node_ids or None, timeout=10.0,
                             grace=2.0)
        except Exception:
            log.exception("job %s: kill failed", self.job_id)
