"""The job host: a detached Ray actor on the head that runs the scheduler and every job's driver.

Why an actor: a job's driver must live somewhere that already holds a Ray connection (a fresh
Python + `ray.init` costs ~1.5 s per job) but not in the skylet daemon, or a daemon crash, restart
or upgrade would kill every running job. A *detached* actor outlives the daemon's Ray job (its
connection), so the daemon can come and go while jobs keep running, logging and finishing. It is
pinned to the head (hard node affinity: logs and jobs.db are on the head's disk, and its worker
inherits the head raylet's environment, so `~` is the head's HOME), takes no CPU (it must never
compete with jobs for a bundle) and is threaded (one thread per driver and per node stream).

Why the scheduler lives here too: head-of-line blocking must know, at each decision, whether a
driver is still placing; in one process that is a lock, not a protocol, and queued jobs keep
starting while the daemon restarts. The daemon only forwards wake-ups and cancels, reconciles
jobs no live host drives, and does the periodic work (autostop).

One host per skylet version (`host_name`), created once by the daemon (`get_if_exists`, so a
restarted daemon re-attaches to the live one). After an upgrade the old version's host keeps
driving the jobs it has to completion but starts no new ones (the `job_host` config key names the
active host); the new daemon kills it once it is idle. The methods below are that cross-version
protocol: keep their names, arguments and results stable.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any

import ray

from skylet import __version__, paths
from skylet.job_table import JobTable
from skylet.ray_nodes import RayNodes
from skylet.scheduler import Scheduler

log = logging.getLogger("skylet")

_MAINTENANCE_SECONDS = 5.0
MAX_CONCURRENCY = 256


def host_name(tag: str | None = None) -> str:
    """Actor name of this version's host (in the daemon's per-cluster namespace)."""
    return f"skylet-host-{tag or __version__}"


def _setup_logging() -> None:
    if any(getattr(h, "_skylet_host", False) for h in log.handlers):
        return
    handler = logging.FileHandler(paths.host_log())
    handler._skylet_host = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(
        f"%(asctime)s %(levelname)s [host {os.getpid()}] %(threadName)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


class SkyletJobHost:
    """Hosts the scheduler and the job drivers (see the module docstring)."""

    def __init__(self, home: str, name: str) -> None:
        if os.path.realpath(os.path.expanduser("~")) != os.path.realpath(home):
            os.environ["HOME"] = home  # this worker is ours alone: make `~` the daemon's HOME
        _setup_logging()
        self.name = name
        self.table = JobTable(paths.jobs_db())
        self.nodes = RayNodes()
        self.nodes.refresh()
        self.nodes.warm_new(timeout=30.0)
        self.scheduler = Scheduler(self.table, self.nodes, name)
        self._stop = threading.Event()
        self._started_at = time.time()
        self._write_info()
        threading.Thread(target=self.scheduler.loop, args=(self._stop,), name="scheduler",
                         daemon=True).start()
        threading.Thread(target=self._maintenance, name="maintenance", daemon=True).start()
        log.info("job host %s ready (pid %d, skylet %s)", name, os.getpid(), __version__)

    def _info_path(self) -> Any:
        return paths.hosts_dir() / f"{self.name}.json"

    def _write_info(self) -> None:
        path = self._info_path()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": os.getpid(), "name": self.name,
                                   "version": __version__, "started_at": self._started_at}))
        os.replace(tmp, path)

    def _maintenance(self) -> None:
        """Warm a worker on nodes that joined, so a job's first task there starts fast (a worker
        belongs to one Ray job: the daemon's warm-up would not help the host's tasks)."""
        while not self._stop.wait(_MAINTENANCE_SECONDS):
            try:
                self.nodes.refresh()
                self.nodes.warm_new(timeout=5.0)
            except Exception:
                log.exception("host maintenance failed")

    # ---- the protocol (stable across versions) ---------------------------------------------

    def ready(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "name": self.name, "version": __version__,
                "started_at": self._started_at, "driving": self.scheduler.driving()}

    def wake(self) -> None:
        self.scheduler.wake()

    def driving(self) -> list[int]:
        """Ids of the jobs this host drives right now (their drivers have not finished)."""
        return self.scheduler.driving()

    def cancel(self, job_ids: list[int], timeout: float) -> list[int]:
        """Stop the drivers of `job_ids` (already CANCELLED in the table by the caller): each
        kills its processes on its nodes until its tasks have returned. Waits up to `timeout` s;
        returns the ids this host drives (the caller kills the others' processes itself)."""
        deadline = time.monotonic() + timeout
        drivers = [d for d in (self.scheduler.driver(int(i)) for i in job_ids) if d is not None]
        for driver in drivers:
            driver.request_cancel()
        for driver in drivers:
            if not driver.wait_done(max(0.0, deadline - time.monotonic())):
                log.warning("job %s: processes still alive after cancel", driver.job_id)
        self.scheduler.wake()
        return [driver.job_id for driver in drivers]

    def retire_if_idle(self) -> bool:
        """True (and this host starts nothing any more) when it drives no job and is not the
        active host: the caller may then kill it."""
        if not self.scheduler.retire_if_idle():
            return False
        self._stop.set()
        try:
            self._info_path().unlink()
        except OSError:
            pass
        log.info("job host %s retired", self.name)
        return True


JobHost = ray.remote(SkyletJobHost)

