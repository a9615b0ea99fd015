"""FIFO job scheduling with head-of-line blocking (SkyPilot's FIFOScheduler).

Jobs start in id order. At most one job is "placing" (its driver waits for its placement group);
the next PENDING job is launched only once that one has its nodes (or ended). So a big job at the
head of the queue is never starved by small jobs behind it, while jobs whose placement groups fit
side by side still run concurrently. Woken by `submit` through the control socket, with a slow poll
as a safety net.
"""

from __future__ import annotations

import logging
import threading

from skylet.driver import JobDriver
from skylet.job_table import JobTable
from skylet.ray_nodes import RayNodes

log = logging.getLogger("skylet")

_POLL_SECONDS = 2.0


class Scheduler:
    def __init__(self, table: JobTable, nodes: RayNodes) -> None:
        self._table = table
        self._nodes = nodes
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._drivers: dict[int, JobDriver] = {}
        self._placing: JobDriver | None = None

    def wake(self) -> None:
        self._wake.set()

    def driver(self, job_id: int) -> JobDriver | None:
        with self._lock:
            return self._drivers.get(job_id)

    def drivers(self) -> list[JobDriver]:
        with self._lock:
            return list(self._drivers.values())

    def loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._wake.wait(_POLL_SECONDS)
            self._wake.clear()
            try:
                self.step()
            except Exception:  # e.g. a transient Ray or SQLite error: retry on the next wake
                log.exception("scheduler step failed")

    def step(self) -> None:
        """Launch the driver of the oldest undriven PENDING job, unless one is still placing."""
        with self._lock:
            if self._placing is not None:
                return
            job = self._table.next_undriven()
            if job is None:
                return
            self._table.mark_driver_started(job.job_id)
            driver = JobDriver(job, self._table, self._nodes, self._on_placed, self._on_done)
            self._drivers[job.job_id] = driver
            self._placing = driver
        log.info("job %s: driver started", job.job_id)
        driver.start()

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
