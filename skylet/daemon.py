"""The skylet daemon: one long-lived process on the head that owns the Ray connection.

Why a daemon: Ray's driver connection costs ~1.5 s (Python + `ray.init`), far more than a job's
own start (placement group + task ≈ 5 ms), so one process keeps it and runs every job's driver as a
thread (see `driver.py`). It also runs the slow periodic work (autostop, stale INIT rows, new nodes)
on a tick, and answers the CLI on the control socket (`control.py`): wake-ups from `submit` and
`cancel`, which needs Ray to reach worker nodes.

Start-up order matters: the control socket is bound first (it doubles as a single-instance check and
lets `start-daemon` tell "starting" from "dead"), then Ray, warm-up and reconciliation of jobs left
behind by a dead daemon; only then is the daemon "ready" and the scheduler running.
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
from skylet.job_table import JobStatus, JobTable

if TYPE_CHECKING:  # imported lazily at run time: they import ray
    from skylet.ray_nodes import RayNodes
    from skylet.scheduler import Scheduler

log = logging.getLogger("skylet")

_INIT_TIMEOUT_SECONDS = 60.0
_CANCEL_BUDGET_SECONDS = 13.0
_RAY_FAILURES_BEFORE_EXIT = 3
_GCS_WAIT_SECONDS = 30.0


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
        self.scheduler: Scheduler | None = None

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
        # cleanly instead (fail and kill running jobs, remove the pid file).
        signal.signal(signal.SIGTERM, lambda *_: self._stop.set())
        signal.signal(signal.SIGINT, lambda *_: self._stop.set())
        self._reconcile()
        autostop.on_daemon_start(self.table)
        from skylet.scheduler import Scheduler

        self.scheduler = Scheduler(self.table, self.nodes)
        threading.Thread(target=self.scheduler.loop, args=(self._stop,), name="scheduler",
                         daemon=True).start()
        self.scheduler.wake()
        self._ready.set()
        self._write_pid(ready=True)
        log.info("skylet %s ready (pid %d, ray %s, cluster %s, tick %.1fs)", __version__,
                 os.getpid(), self.ray_address, self.cluster_name, self.tick_seconds)

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
        log.info("connected to Ray: nodes %s", sorted(n.ip for n in nodes))
        self.nodes.warm_new(timeout=30.0)

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
        """On SIGTERM: jobs cannot outlive their driver threads, so fail them and kill their
        processes now (bounded), rather than leave orphans for a daemon that may never come."""
        log.info("shutting down")
        if self._server is not None:
            self._server.close()
        try:
            stale = [job for job in self.table.nonterminal() if job.driver_started_at]
            markers = []
            for job in stale:
                self._note(job.log_dir, "ERROR: the skylet daemon was stopped; job failed.")
                if self.table.set_status(job.job_id, JobStatus.FAILED_DRIVER, end_at=time.time()):
                    markers.append(paths.job_marker(job.job_id))
            if markers and self.nodes is not None:
                self.nodes.kill(markers, timeout=5.0, grace=1.0)
        except Exception:
            log.exception("shutdown cleanup failed")
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
        self.scheduler.wake()
        try:
            self.nodes.refresh()  # raises when the GCS is gone
            self.nodes.warm_new(timeout=5.0)
        except Exception:
            log.exception("tick: Ray did not answer")
            return False
        return True

    @staticmethod
    def _note(log_dir: str, text: str) -> None:
        try:
            with open(paths.expand(log_dir) / "run.log", "a") as fh:
                fh.write(text + "\n")
        except OSError:
            pass

    def _reconcile(self) -> None:
        """Jobs a dead daemon was driving can never finish: FAILED_DRIVER, and kill their
        processes on every node (they run in their own sessions, so they outlive Ray workers)."""
        now = time.time()
        markers: list[str] = []
        for job in self.table.nonterminal():
            started = job.status in (JobStatus.SETTING_UP, JobStatus.RUNNING) or (
                job.status == JobStatus.PENDING and job.driver_started_at is not None)
            if not started:
                continue
            # The note goes first: a follower stops at the terminal status and must see it.
            self._note(job.log_dir, "ERROR: the skylet daemon driving this job died; job failed.")
            if self.table.set_status(job.job_id, JobStatus.FAILED_DRIVER, end_at=now):
                log.warning("job %s was %s under a dead daemon: FAILED_DRIVER", job.job_id,
                            job.status.value)
                markers.append(paths.job_marker(job.job_id))
        cleanup = self.table.needing_cleanup()
        markers.extend(paths.job_marker(job.job_id) for job in cleanup)
        if markers:
            killed = self.nodes.kill(markers, timeout=15.0)
            log.info("reconcile killed %d processes", len(killed))
        for job in cleanup:
            self.table.set_cleanup_pending(job.job_id, False)
        self.table.fail_stale_init(_INIT_TIMEOUT_SECONDS)

    # ---- control socket --------------------------------------------------------------------

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "ping":
            return {"pid": os.getpid(), "version": __version__, "ready": self._ready.is_set(),
                    "ray_address": self.ray_address, "cluster_name": self.cluster_name}
        if op == "wake":
            if self.scheduler is not None:
                self.scheduler.wake()
            return {"ok": True}
        if op == "cancel":
            if not self._ready.wait(20.0):
                raise RuntimeError("skylet daemon is not ready")
            return {"cancelled": self.cancel(request.get("job_ids"), bool(request.get("all")),
                                             request.get("user"))}
        raise ValueError(f"unknown op {op!r}")

    def cancel(self, job_ids: list[int] | None, all_jobs: bool, user: str | None) -> list[int]:
        """Mark the jobs CANCELLED first (so their drivers' final writes lose), then make sure
        every process of theirs is gone on every node before answering (bounded)."""
        if all_jobs:
            jobs = self.table.nonterminal()
        else:
            jobs = [job for job in (self.table.get(int(i)) for i in job_ids or [])
                    if job is not None and not job.status.is_terminal]
        if user is not None:
            jobs = [job for job in jobs if job.username == user]
        deadline = time.monotonic() + _CANCEL_BUDGET_SECONDS
        cancelled: list[int] = []
        drivers = []
        orphan_markers: list[str] = []
        for job in jobs:
            if not self.table.set_status(job.job_id, JobStatus.CANCELLED, end_at=time.time()):
                continue
            cancelled.append(job.job_id)
            driver = self.scheduler.driver(job.job_id)
            if driver is not None:
                driver.request_cancel()  # it kills its own processes until its tasks return
                drivers.append(driver)
            elif job.driver_started_at is not None:
                orphan_markers.append(paths.job_marker(job.job_id))
        if orphan_markers:
            self.nodes.kill(orphan_markers, timeout=max(1.0, deadline - time.monotonic()))
        for driver in drivers:
            if not driver.wait_done(max(0.0, deadline - time.monotonic())):
                log.warning("job %s: processes still alive after cancel", driver.job_id)
        self.scheduler.wake()
        return cancelled


def main(ray_address: str, cluster_name: str, tick_seconds: float) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(threadName)s: %(message)s")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    return Daemon(ray_address, cluster_name, tick_seconds).run()
