"""FIFO job scheduling with head-of-line blocking (SkyPilot's FIFOScheduler), inside the job host.

Jobs start in id order. At most one job is "placing" (its driver waits for its placement group);
the next PENDING job is launched only once that one has its nodes (or ended). So a big job at the
head of the queue is never starved by small jobs behind it, while jobs whose placement groups fit
side by side still run concurrently.

The scheduler runs in the same process as the drivers (the job host actor, see `host.py`), so
"is a driver still placing" is a lock, not a protocol across processes. Woken by `submit` (CLI →
daemon's control socket → `JobHost.wake`), with a slow poll of the job table as a safety net, so
a lost wake-up (or a daemon being restarted) only costs latency, never a job.

Several hosts can exist for a moment after an upgrade (an older version finishing its jobs). Only
the host named by the `job_host` config key (written by the daemon) starts new jobs; claims are
conditional in the table, and a job another host placed but that is still PENDING counts as
placing here too, so FIFO holds across them.
"""

from __future__ import annotations

import logging
import threading

from skylet.driver import JobDriver
from skylet.job_table import JobTable
from skylet.ray_nodes import RayNodes

log = logging.getLogger("skylet")

_POLL_SECONDS = 2.0
#: Config key (jobs.db) naming the job host that may start new jobs.
ACTIVE_HOST_KEY = "job_host"


class Scheduler:
    def __init__(self, table: JobTable, nodes: RayNodes, host_name: str) -> None:
        self._table = table
        self._nodes = nodes
        self._host_name = host_name
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._drivers: dict[int, JobDriver] = {}
        self._placing: JobDriver | None = None
        self._retired = False

    def wake(self) -> None:
        self._wake.set()

    def driver(self, job_id: int) -> JobDriver | None:
        with self._lock:
            return self._drivers.get(job_id)

    def drivers(self) -> list[JobDriver]:
        with self._lock:
            return list(self._drivers.values())

    def driving(self) -> list[int]:
        with self._lock:
            return sorted(self._drivers)

    def retire_if_idle(self) -> bool:
        """Stop for good if this host drives nothing and is not the active one; True if so."""
        with self._lock:
            if self._drivers or self._table.get_config(ACTIVE_HOST_KEY) == self._host_name:
                return False
            self._retired = True
            return True

    def loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._wake.wait(_POLL_SECONDS)
            self._wake.clear()
            try:
                self.cancel_finished_elsewhere()
                self.step()
            except Exception:  # e.g. a transient Ray or SQLite error: retry on the next wake
                log.exception("scheduler step failed")

    def step(self) -> None:
        """Launch the driver of the oldest undriven PENDING job, unless one is still placing."""
        with self._lock:
            if self._placing is not None or self._retired:
                return
            if self._table.get_config(ACTIVE_HOST_KEY) != self._host_name:
                return  # another (newer) host starts new jobs; this one only finishes its own
            if set(self._table.placing()) - set(self._drivers):
                return  # another host's job still waits for its nodes (head of line)
            job = self._table.next_undriven()
            if job is None:
                return
            if not self._table.claim(job.job_id):
                self._wake.set()  # cancelled or claimed meanwhile: look again at once
                return
            driver = JobDriver(job, self._table, self._nodes, self._on_placed, self._on_done)
            self._drivers[job.job_id] = driver
            self._placing = driver
        log.info("job %s: driver started", job.job_id)
        driver.start()

    def cancel_finished_elsewhere(self) -> None:
        """A job made terminal behind its driver's back (`cancel` with no daemon, reconcile):
        have the driver stop and kill its processes on every node."""
        drivers = self.drivers()
        if not drivers:
            return
        statuses = self._table.statuses(d.job_id for d in drivers)
        for driver in drivers:
            status = statuses.get(driver.job_id)
            if (status is None or status.is_terminal) and not driver.cancel_requested:
                log.info("job %s is %s: stopping its driver", driver.job_id,
                         status.value if status else "gone")
                driver.request_cancel()

    def _on_placed(self, driver: JobDriver) -> None:
        with self._lock:
            if self._placing is driver:
                self._placing = None
        self._wake.set()

    def _on_done(self, driver: JobDriver) -> None:
        with self._lock:
            self._drivers.pop(driver.job_id, None)
            if self._placing is driver:
                self._placing = None
        log.info("job %s: driver done", driver.job_id)
        self._wake.set()
