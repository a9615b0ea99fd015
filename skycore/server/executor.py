"""Runs requests in two pools of worker processes: LONG (launch, exec, logs, …) and SHORT
(status, queue, …), so a slow launch never makes ``sky status`` wait.

Everything here runs on the server's event loop thread: queues, pool bookkeeping, and the
replies workers send over their pipes (``loop.add_reader``). Pools keep ``min_workers`` warm and
burst up to ``max_workers`` under load; burst workers retire when idle. The server process is
the only writer of the ``requests`` table.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import multiprocessing
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from skycore.server import constants as C
from skycore.server import requests_store
from skycore.server.ops import LONG, SHORT
from skycore.utils import procs

logger = logging.getLogger("skycore.server")

#: Seconds a cancelled request gets to unwind (SIGTERM) before its process group is killed.
CANCEL_GRACE_SECONDS = float(os.environ.get("SKYCORE_CANCEL_GRACE_SECONDS", "5"))
#: A short request's RUNNING row is written only if it is still running after this long.
SHORT_RUNNING_WRITE_SECONDS = 0.5


@dataclasses.dataclass
class PoolSize:
    min_workers: int
    max_workers: int


def default_sizes(deploy: bool = False) -> dict[str, PoolSize]:
    """Pool sizes from the machine: a long worker may hold ~0.4 GB, a short one ~0.3 GB.

    Locally one warm worker per pool keeps idle memory low; bursts cover concurrency. A deploy
    (remote, multi-user) server keeps more warm.
    """
    cpus = os.cpu_count() or 1
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gb = 4.0
    long_max = max(2, min(4 * cpus, int(mem_gb / 0.4)))
    short_max = max(2, min(2 * cpus, int(mem_gb / 0.3)))
    if deploy:
        return {LONG: PoolSize(min(long_max, 2 * cpus), long_max),
                SHORT: PoolSize(min(short_max, cpus), short_max)}
    return {LONG: PoolSize(1, long_max), SHORT: PoolSize(1, short_max)}


@dataclasses.dataclass
class _Job:
    request_id: str
    name: str
    body: dict[str, Any]
    user: str
    log_path: str
    #: (worker pid, start time) while the RUNNING row is deferred to the final write
    started: tuple[int, float] | None = None


@dataclasses.dataclass(eq=False)
class _Worker:
    pool: str
    process: Any
    conn: Any
    pid: int = 0
    ready: bool = False
    job: _Job | None = None
    cancelling: bool = False
    retired: bool = False


class Executor:
    def __init__(self, engine: Engine, sizes: dict[str, PoolSize] | None = None) -> None:
        self.engine = engine
        self.sizes = sizes or default_sizes()
        self._queues: dict[str, collections.deque[_Job]] = {LONG: collections.deque(),
                                                            SHORT: collections.deque()}
        self._workers: dict[str, list[_Worker]] = {LONG: [], SHORT: []}
        self._spawning: dict[str, int] = {LONG: 0, SHORT: 0}
        self._done: dict[str, asyncio.Event] = {}
        self._ctx: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        _use_private_mp_dir()
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["skycore.server.preload"])
        self._ctx = ctx
        for pool, size in self.sizes.items():
            for _ in range(size.min_workers):
                self._spawn(pool)

    async def shutdown(self) -> None:
        self._closed = True
        for workers in self._workers.values():
            for worker in list(workers):
                self._kill(worker, signal.SIGKILL)
        tempdir = multiprocessing.process.current_process()._config.get(  # type: ignore[attr-defined]
            "tempdir")
        if tempdir and os.path.basename(tempdir) == str(os.getpid()):
            import shutil

            shutil.rmtree(tempdir, ignore_errors=True)

    # ------------------------------------------------------------------ requests
    def submit(self, request_id: str, name: str, body: dict[str, Any], schedule: str,
               user: str, log_path: str) -> None:
        self._done[request_id] = asyncio.Event()
        self._queues[schedule].append(_Job(request_id, name, body, user, log_path))
        self._pump(schedule)

    def is_active(self, request_id: str) -> bool:
        event = self._done.get(request_id)
        return event is not None and not event.is_set()

    async def wait(self, request_id: str, timeout: float) -> bool:
        """True once ``request_id`` is final (or unknown to this executor)."""
        event = self._done.get(request_id)
        if event is None or event.is_set():
            return True
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def cancel(self, request_id: str) -> bool:
        """Cancel a pending or running request; False if it is not active here."""
        for pool, queue in self._queues.items():
            for job in queue:
                if job.request_id == request_id:
                    queue.remove(job)
                    self._finish(request_id, C.CANCELLED, status_msg="Cancelled before it ran.")
                    del pool
                    return True
        for workers in self._workers.values():
            for worker in workers:
                if worker.job is not None and worker.job.request_id == request_id:
                    if not worker.cancelling:
                        worker.cancelling = True
                        self._kill(worker, signal.SIGTERM)
                        assert self._loop is not None
                        self._loop.call_later(CANCEL_GRACE_SECONDS, self._kill_if_alive,
                                              worker, signal.SIGKILL)
                    return True
        return False

    # ------------------------------------------------------------------ internals
    def _finish(self, request_id: str, status: str, *, return_value: Any = None,
                error: dict[str, Any] | None = None, status_msg: str | None = None,
                started: tuple[int, float] | None = None) -> None:
        try:
            requests_store.finish(self.engine, request_id, status, return_value=return_value,
                                  error=error, status_msg=status_msg, started=started)
        except Exception:  # noqa: BLE001 - the event must still fire or waiters hang
            logger.exception("could not record the outcome of request %s", request_id)
        event = self._done.pop(request_id, None)
        if event is not None:
            event.set()

    def _spawn(self, pool: str) -> None:
        if self._closed:
            return
        self._spawning[pool] += 1
        assert self._loop is not None
        self._loop.run_in_executor(None, self._start_process, pool).add_done_callback(
            lambda fut: self._loop.call_soon_threadsafe(self._spawned, pool, fut))

    def _start_process(self, pool: str) -> _Worker:
        from skycore.server import worker as worker_module

        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(target=worker_module.main, args=(child, os.getpid()),
                                    name=f"skycore-{pool}-worker", daemon=False)
        process.start()
        child.close()
        return _Worker(pool=pool, process=process, conn=parent, pid=process.pid or 0)

    def _spawned(self, pool: str, future: Any) -> None:
        self._spawning[pool] -= 1
        try:
            worker: _Worker = future.result()
        except Exception:  # noqa: BLE001
            logger.exception("could not start a %s worker", pool)
            return
        self._workers[pool].append(worker)
        assert self._loop is not None
        self._loop.add_reader(worker.conn.fileno(), self._on_message, worker)

    def _idle(self, pool: str) -> list[_Worker]:
        return [w for w in self._workers[pool]
                if w.ready and w.job is None and not w.cancelling and not w.retired]

    def _pump(self, pool: str) -> None:
        queue = self._queues[pool]
        idle = self._idle(pool)
        while queue and idle:
            worker = idle.pop()
            job = queue.popleft()
            worker.job = job
            try:
                worker.conn.send({"request_id": job.request_id, "name": job.name,
                                  "body": job.body, "user": job.user,
                                  "log_path": job.log_path})
            except OSError:
                worker.job = None
                queue.appendleft(job)
                self._on_death(worker)
                continue
            if pool == SHORT:
                # written with the outcome (milliseconds later) unless it runs long
                job.started = (worker.pid, time.time())
                assert self._loop is not None
                self._loop.call_later(SHORT_RUNNING_WRITE_SECONDS, self._mark_running, job)
            else:
                requests_store.set_running(self.engine, job.request_id, worker.pid)
        live = len(self._workers[pool]) + self._spawning[pool]
        starting = self._spawning[pool] + sum(1 for w in self._workers[pool] if not w.ready)
        want = len(queue) - starting
        while want > 0 and live < self.sizes[pool].max_workers:
            self._spawn(pool)
            live += 1
            want -= 1

    def _mark_running(self, job: _Job) -> None:
        """A short request still running after a moment: make RUNNING visible after all."""
        if job.started is not None and self.is_active(job.request_id):
            requests_store.set_running(self.engine, job.request_id, job.started[0])
            job.started = None

    def _on_message(self, worker: _Worker) -> None:
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            self._on_death(worker)
            return
        if "ready" in message:
            worker.ready = True
        else:
            job, worker.job = worker.job, None
            status = message.get("status", C.FAILED)
            if job is not None:
                msg = "Cancelled." if status == C.CANCELLED else None
                self._finish(job.request_id, status, return_value=message.get("return_value"),
                             error=message.get("error"), status_msg=msg, started=job.started)
                job.started = None
            if message.get("exit"):
                worker.retired = True
                return  # the worker exits; its EOF removes it
        self._maybe_retire(worker)
        self._pump(worker.pool)

    def _maybe_retire(self, worker: _Worker) -> None:
        pool = worker.pool
        idle = self._idle(pool)
        if worker in idle and not self._queues[pool] and len(
                self._workers[pool]) > self.sizes[pool].min_workers and len(idle) > 1:
            worker.retired = True
            try:
                worker.conn.send(None)
            except OSError:
                pass

    def _on_death(self, worker: _Worker) -> None:
        assert self._loop is not None
        try:
            self._loop.remove_reader(worker.conn.fileno())
        except (ValueError, OSError):
            pass
        worker.conn.close()
        worker.process.join(timeout=0)
        if worker in self._workers[worker.pool]:
            self._workers[worker.pool].remove(worker)
        job, worker.job = worker.job, None
        if job is not None:
            if worker.cancelling:
                self._finish(job.request_id, C.CANCELLED, status_msg="Cancelled.",
                             started=job.started)
            else:
                code = worker.process.exitcode
                reason = (f"The worker process running this request died (exit code {code}).")
                self._finish(job.request_id, C.FAILED, status_msg=reason, started=job.started,
                             error={"type": "RequestFailedError", "module": "skycore.errors",
                                    "message": reason, "attrs": {}, "traceback": None})
        pool = worker.pool
        if (not self._closed and len(self._workers[pool]) + self._spawning[pool]
                < self.sizes[pool].min_workers):
            self._spawn(pool)
        self._pump(pool)

    def _kill_if_alive(self, worker: _Worker, sig: int) -> None:
        """The delayed SIGKILL: only while the worker is still ours (its pid is not reused)."""
        if worker in self._workers[worker.pool]:
            self._kill(worker, sig)

    def _kill(self, worker: _Worker, sig: int) -> None:
        if not worker.pid:
            return
        try:
            os.killpg(worker.pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(worker.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass


def _use_private_mp_dir() -> None:
    """Keep the fork server's socket in ``SKY_HOME/api_server/mp/<pid>``, not ``/tmp/pymp-*``.

    multiprocessing removes its ``/tmp/pymp-*`` directory only at a clean exit, so every
    SIGKILLed server would leak one. Our directory is named by the server's pid, and each new
    server removes those of dead predecessors. When SKY_HOME's path is too long for a unix
    socket, ``/tmp/skycore-mp-<uid>`` takes its place (cleaned the same way).
    """
    from skycore import paths

    base = paths.sub_dir("api_server", "mp")
    if len(str(base)) > _MAX_MP_DIR_LENGTH:
        base = short_mp_base()
        base.mkdir(mode=0o700, exist_ok=True)
    remove_dead_mp_dirs(base)
    mine = base / str(os.getpid())
    mine.mkdir(exist_ok=True)
    multiprocessing.process.current_process()._config["tempdir"] = str(mine)  # type: ignore[attr-defined]


#: a unix socket path has at most 107 bytes; the fork server adds "/<pid>/listener-xxxxxxxx"
_MAX_MP_DIR_LENGTH = 72


def short_mp_base() -> Path:
    return Path(tempfile.gettempdir()) / f"skycore-mp-{os.getuid()}"


def remove_dead_mp_dirs(base: Path) -> None:
    """Remove the fork-server directories of servers that no longer run."""
    import shutil

    if not base.is_dir():
        return
    for entry in base.iterdir():
        if entry.name.isdigit() and not procs.alive([int(entry.name)]):
            shutil.rmtree(entry, ignore_errors=True)
