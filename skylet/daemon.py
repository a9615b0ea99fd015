"""The skylet daemon: one long-lived process on the head that owns the control plane.

Why a daemon: the CLI must stay a fast, Ray-free Python call, yet `submit` must reach a live Ray
connection at once and `cancel` must reach worker nodes. The daemon keeps one Ray connection and
answers the CLI on the control socket (`control.py`); it runs the slow periodic work (autostop,
stale INIT rows, job-host health) on a tick.

Jobs do not run in the daemon: the scheduler and every job's driver live in the job host, a
detached Ray actor on the head (`host.py`), which the daemon creates once at start (or re-attaches
to, after a restart) and then only pokes (`wake`, ~1 ms per job). So jobs survive a daemon crash,
restart or `stop-daemon`: they keep running, logging and finishing under the host, and a new
daemon adopts them. What the daemon reconciles, at start and on every tick, are jobs that no live
host drives (the host died with Ray, or was killed): FAILED_DRIVER, and their processes killed.

Start-up order matters: the control socket is bound first (it doubles as a single-instance check and
lets `start-daemon` tell "starting" from "dead"), then Ray, the job host and reconciliation; only
then is the daemon "ready".
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from skylet import __version__, autostop, paths
from skylet.control import ControlServer
from skylet.job_table import Job, JobStatus, JobTable

if TYPE_CHECKING:  # imported lazily at run time: they import ray
    from skylet.ray_nodes import RayNodes

log = logging.getLogger("skylet")

_INIT_TIMEOUT_SECONDS = 60.0
_CANCEL_BUDGET_SECONDS = 13.0
_RAY_FAILURES_BEFORE_EXIT = 3
_GCS_WAIT_SECONDS = 30.0
_HOST_START_SECONDS = 60.0
_HOST_ANSWER_SECONDS = 10.0
#: Overrides the version in the job host's name (tests of the upgrade path, side-by-side installs).
HOST_TAG_ENV = "SKYLET_HOST_TAG"
_HOST_PREFIX = "skylet-host-"


def write_pid_file(info: dict[str, Any]) -> None:
    tmp = paths.pid_file().with_suffix(".tmp")
    tmp.write_text(json.dumps(info))
    os.replace(tmp, paths.pid_file())


class Daemon:
    def __init__(self, ray_address: str, cluster_name: str, tick_seconds: float) -> None:
        self.ray_address = ray_address
        self.cluster_name = cluster_name
        self.tick_seconds = tick_seconds
        self.table = JobTable(paths.jobs_db())
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._started_at = time.time()
        self._lock_fh: Any = None
        self._server: ControlServer | None = None
        self.nodes: RayNodes | None = None
        self.host: Any = None  # ActorHandle of this version's job host (host.py)
        self.host_name = _HOST_PREFIX + (os.environ.get(HOST_TAG_ENV) or __version__)
        self._head_node_id = ""
        self._host_lock = threading.Lock()
        self._reconcile_lock = threading.Lock()

    # ---- life cycle ------------------------------------------------------------------------

    def run(self) -> int:
        self._lock_fh = open(paths.daemon_lock(), "a")  # noqa: SIM115 - held for life
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            log.error("another skylet daemon holds %s; exiting", paths.daemon_lock())
            return 3
        try:
            self._server = ControlServer(paths.control_socket_name(), self.handle)
        except OSError as exc:
            log.error("control socket busy (%s); exiting", exc)
            return 3
        self._server.serve_forever_in_thread()
        self._write_pid(ready=False)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

        self._connect_ray()
        # After ray.init, which installs its own SIGTERM handler (sys.exit): ours shuts down
        # cleanly instead (remove the pid file; jobs keep running in the job host).
        signal.signal(signal.SIGTERM, lambda *_: self._stop.set())
        signal.signal(signal.SIGINT, lambda *_: self._stop.set())
        self._ensure_host()
        self._reconcile(at_start=True)
        autostop.on_daemon_start(self.table)
        self._ready.set()
        self._write_pid(ready=True)
        log.info("skylet %s ready (pid %d, ray %s, cluster %s, tick %.1fs, host %s)", __version__,
                 os.getpid(), self.ray_address, self.cluster_name, self.tick_seconds,
                 self.host_name)

        ray_failures = 0
        while not self._stop.wait(self.tick_seconds):
            ray_failures = 0 if self._tick() else ray_failures + 1
            if ray_failures >= _RAY_FAILURES_BEFORE_EXIT:
                log.error("giving up: the Ray cluster has not answered for %d ticks", ray_failures)
                break
        return self._shutdown()

    def _wait_for_gcs(self, host: str, port: int) -> None:
        """Fail fast on a wrong address: `ray.init` itself retries silently for minutes."""
        deadline = time.monotonic() + _GCS_WAIT_SECONDS
        while True:
            try:
                socket.create_connection((host, port), timeout=2.0).close()
                return
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise ConnectionError(f"no Ray GCS at {host}:{port}: {exc}") from exc
                time.sleep(0.5)

    def _connect_ray(self) -> None:
        import ray

        from skylet.ray_nodes import RayNodes

        host, port = self.ray_address.rsplit(":", 1)
        self._wait_for_gcs(host, int(port))
        ray.init(
            address=self.ray_address,
            namespace=f"skylet-{self.cluster_name}",
            logging_level=logging.WARNING,
            log_to_driver=False,
            _node_ip_address=host,
        )
        self.nodes = RayNodes()
        nodes = self.nodes.refresh()
        self._head_node_id = ray.get_runtime_context().get_node_id()
        log.info("connected to Ray: nodes %s", sorted(n.ip for n in nodes))

    # ---- the job host ----------------------------------------------------------------------

    def _ensure_host(self) -> None:
        """Create this version's job host, or attach to the live one (a restarted daemon), then
        make it the one that starts new jobs and wake it."""
        import ray

        from skylet.host import MAX_CONCURRENCY, JobHost
        from skylet.ray_nodes import RayNodes
        from skylet.scheduler import ACTIVE_HOST_KEY

        with self._host_lock:
            error: Exception | None = None
            for _ in range(10):
                handle = JobHost.options(
                    name=self.host_name, lifetime="detached", get_if_exists=True, num_cpus=0,
                    max_concurrency=MAX_CONCURRENCY, max_restarts=0,
                    scheduling_strategy=RayNodes.pinned(self._head_node_id),
                ).remote(str(paths.home()), self.host_name)
                try:
                    info = ray.get(handle.ready.remote(), timeout=_HOST_START_SECONDS)
                except ray.exceptions.RayActorError as exc:  # a dying host still held the name
                    error = exc
                    time.sleep(0.5)
                    continue
                self.host = handle
                log.info("job host %s: pid %s, skylet %s, driving %s", info["name"], info["pid"],
                         info["version"], info["driving"])
                break
            else:
                raise RuntimeError(f"could not start the job host {self.host_name}: {error}")
            self.table.set_config(ACTIVE_HOST_KEY, self.host_name)
            handle.wake.remote()

    def _wake_host(self) -> None:
        host = self.host
        if host is not None:
            host.wake.remote()

    def _host_handles(self) -> dict[str, Any]:
        """Every live job host of this cluster (this version's and older ones)."""
        import ray

        handles = {}
        for name in ray.util.list_named_actors(all_namespaces=False):
            if not name.startswith(_HOST_PREFIX):
                continue
            try:
                handles[name] = ray.get_actor(name)
            except ValueError:  # gone meanwhile
                continue
        return handles

    def _query_hosts(self) -> dict[str, set[int]] | None:
        """{host name: ids of the jobs it drives} for every live host; None when one did not
        answer (then nobody may conclude that a job is undriven)."""
        import ray

        refs = {name: handle.driving.remote() for name, handle in self._host_handles().items()}
        deadline = time.monotonic() + _HOST_ANSWER_SECONDS
        driving: dict[str, set[int]] = {}
        complete = True
        for name, ref in refs.items():
            try:
                driving[name] = set(ray.get(ref, timeout=max(0.1, deadline - time.monotonic())))
            except ray.exceptions.ActorUnavailableError:
                complete = False
            except ray.exceptions.RayActorError:
                continue  # dead: drives nothing
            except ray.exceptions.GetTimeoutError:
                log.warning("job host %s did not answer", name)
                complete = False
        return driving if complete else None

    def _retire_idle_hosts(self, driving: dict[str, set[int]]) -> None:
        """Kill older versions' hosts once they have finished their jobs."""
        import ray

        for name, handle in self._host_handles().items():
            if name == self.host_name or driving.get(name):
                continue
            try:
                if ray.get(handle.retire_if_idle.remote(), timeout=_HOST_ANSWER_SECONDS):
                    ray.kill(handle, no_restart=True)
                    log.info("job host %s retired", name)
            except Exception as exc:
                log.warning("could not retire job host %s: %s", name, exc)

    def _write_pid(self, ready: bool) -> None:
        write_pid_file({
            "pid": os.getpid(),
            "version": __version__,
            "ray_address": self.ray_address,
            "cluster_name": self.cluster_name,
            "started_at": self._started_at,
            "ready": ready,
        })

    def _shutdown(self) -> int:
        """On SIGTERM (`stop-daemon`): only the daemon goes. Running and queued jobs stay with
        the job host, which keeps driving them; the next daemon adopts them."""
        log.info("shutting down (jobs keep running in the job host)")
        if self._server is not None:
            self._server.close()
        try:
            info = json.loads(paths.pid_file().read_text())
            if info.get("pid") == os.getpid():
                paths.pid_file().unlink()
        except (OSError, ValueError):
            pass
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)  # skip Ray's atexit handlers: they can block on a dying cluster

    # ---- periodic work ---------------------------------------------------------------------

    def _tick(self) -> bool:
        """Periodic work; each part fails alone. Returns False when Ray did not answer."""
        try:
            for job_id in self.table.fail_stale_init(_INIT_TIMEOUT_SECONDS):
                log.warning("job %s stuck in INIT: FAILED_DRIVER", job_id)
            autostop.check(self.table, log=log.info)
        except Exception:
            log.exception("tick: job table / autostop check failed")
        try:
            self.nodes.refresh()  # raises when the GCS is gone
        except Exception:
            log.exception("tick: Ray did not answer")
            return False
        try:
            driving = self._reconcile()
            if driving is not None:
                if self.host_name not in driving:
                    log.error("job host %s is gone: starting a new one", self.host_name)
                    self._ensure_host()
                self._retire_idle_hosts(driving)
            self._wake_host()
        except Exception:
            log.exception("tick: job host check failed")
        return True

    @staticmethod
    def _note(log_dir: str, text: str) -> None:
        try:
            with open(paths.expand(log_dir) / "run.log", "a") as fh:
                fh.write(text + "\n")
        except OSError:
            pass

    @staticmethod
    def _driver_started(job: Job) -> bool:
        return job.status in (JobStatus.SETTING_UP, JobStatus.RUNNING) or (
            job.status == JobStatus.PENDING and job.driver_started_at is not None)

    def _reconcile(self, at_start: bool = False) -> dict[str, set[int]] | None:
        """Adopt the jobs a live job host drives; fail (FAILED_DRIVER) the started ones no live
        host drives and kill their processes on every node (they run in their own sessions, so
        they outlive the Ray workers of a dead host). Returns what `_query_hosts` saw.

        The table is read before the hosts are asked: a driver leaves its host only after its
        job is terminal, so a started job that no host reports is either terminal by now (the
        re-read below skips it) or has nobody left to finish it.
        """
        with self._reconcile_lock:
            started = [job for job in self.table.nonterminal() if self._driver_started(job)]
            driving = self._query_hosts()
            markers: list[str] = []
            if driving is not None:
                driven = set().union(*driving.values())
                adopted = [job.job_id for job in started if job.job_id in driven]
                if adopted and at_start:
                    log.info("adopted jobs %s, still driven by the job host", adopted)
                now = time.time()
                for job in started:
                    if job.job_id in driven:
                        continue
                    current = self.table.get(job.job_id)
                    if current is None or current.status.is_terminal:
                        continue
                    # The note goes first: a follower stops at the terminal status and must see it.
                    self._note(job.log_dir, "ERROR: the skylet job host driving this job died;"
                                            " job failed.")
                    if self.table.set_status(job.job_id, JobStatus.FAILED_DRIVER, end_at=now):
                        log.warning("job %s was %s with no live job host: FAILED_DRIVER",
                                    job.job_id, current.status.value)
                        markers.append(paths.job_marker(job.job_id))
            elif at_start:
                log.warning("a job host did not answer: reconciliation deferred to the next tick")
            cleanup = self.table.needing_cleanup()
            markers.extend(paths.job_marker(job.job_id) for job in cleanup)
            if markers:
                killed = self.nodes.kill(markers, timeout=15.0)
                log.info("reconcile killed %d processes", len(killed))
            for job in cleanup:
                self.table.set_cleanup_pending(job.job_id, False)
            if at_start:
                self.table.fail_stale_init(_INIT_TIMEOUT_SECONDS)
            return driving

    # ---- control socket --------------------------------------------------------------------

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "ping":
            return {"pid": os.getpid(), "version": __version__, "ready": self._ready.is_set(),
                    "ray_address": self.ray_address, "cluster_name": self.cluster_name}
        if op == "ray_nodes":
            # the Ray nodes alive right now (a GCS call), so the server can tell a cluster that
            # lost a worker from a healthy one
            if not self._ready.is_set() or self.nodes is None:
                return {"ray_nodes": None}
            return {"ray_nodes": sorted(node.ip for node in self.nodes.refresh())}
        if op == "wake":
            self._wake_host()
            return {"ok": True}
        if op == "cancel":
            if not self._ready.wait(20.0):
                raise RuntimeError("skylet daemon is not ready")
            return {"cancelled": self.cancel(request.get("job_ids"), bool(request.get("all")),
                                             request.get("user"))}
        raise ValueError(f"unknown op {op!r}")

    def cancel(self, job_ids: list[int] | None, all_jobs: bool, user: str | None) -> list[int]:
        """Mark the jobs CANCELLED first (so their drivers' final writes lose), then make sure
        every process of theirs is gone on every node before answering (bounded): a job a host
        drives is stopped by its driver (through the host), any other started job by marker."""
        import ray

        if all_jobs:
            jobs = self.table.nonterminal()
        else:
            jobs = [job for job in (self.table.get(int(i)) for i in job_ids or [])
                    if job is not None and not job.status.is_terminal]
        if user is not None:
            jobs = [job for job in jobs if job.username == user]
        deadline = time.monotonic() + _CANCEL_BUDGET_SECONDS
        cancelled = [job.job_id for job in jobs
                     if self.table.set_status(job.job_id, JobStatus.CANCELLED, end_at=time.time())]
        if not cancelled:
            return cancelled
        handled: set[int] = set()
        budget = max(1.0, deadline - time.monotonic() - 2.0)
        refs = [handle.cancel.remote(cancelled, budget)
                for handle in self._host_handles().values()]
        for ref in refs:
            try:
                handled.update(ray.get(ref, timeout=max(0.5, deadline - time.monotonic())))
            except Exception as exc:  # a dead or stuck host: its jobs are killed by marker
                log.warning("cancel through a job host failed: %s", exc)
        orphans = []
        for job_id in cancelled:
            job = self.table.get(job_id)
            if job_id not in handled and job is not None and job.driver_started_at is not None:
                orphans.append(paths.job_marker(job_id))
        if orphans:
            self.nodes.kill(orphans, timeout=max(1.0, deadline - time.monotonic()))
        self._wake_host()
        return cancelled


def main(ray_address: str, cluster_name: str, tick_seconds: float) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(threadName)s: %(message)s")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    return Daemon(ray_address, cluster_name, tick_seconds).run()
