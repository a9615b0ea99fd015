"""The job table: SQLite on the head node, shared by short-lived CLI calls and the daemon.

Why SQLite in WAL mode: the CLI (submit, queue, tail, ...) and the daemon's threads read and write
concurrently from different processes; WAL lets readers proceed while a writer commits, and every
status change is a single conditional UPDATE, so a late writer (a driver finishing a job that was
just cancelled) cannot overwrite a terminal status. One connection per call keeps it thread-safe.
"""

from __future__ import annotations

import contextlib
import enum
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class JobStatus(str, enum.Enum):
    """SkyPilot's job statuses (same names, so skycore and users see familiar values)."""

    INIT = "INIT"
    PENDING = "PENDING"
    SETTING_UP = "SETTING_UP"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    FAILED_SETUP = "FAILED_SETUP"
    FAILED_DRIVER = "FAILED_DRIVER"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self not in NONTERMINAL


NONTERMINAL = frozenset(
    {JobStatus.INIT, JobStatus.PENDING, JobStatus.SETTING_UP, JobStatus.RUNNING}
)
TERMINAL = frozenset(set(JobStatus) - NONTERMINAL)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    username TEXT NOT NULL,
    submitted_at REAL NOT NULL,
    status TEXT NOT NULL,
    start_at REAL,
    end_at REAL,
    resources TEXT,
    log_dir TEXT,
    spec TEXT NOT NULL,
    exit_codes TEXT,
    driver_started_at REAL,
    cleanup_pending INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status);
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class Job:
    job_id: int
    name: str
    username: str
    submitted_at: float
    status: JobStatus
    start_at: float | None
    end_at: float | None
    resources: str | None
    log_dir: str
    spec: dict[str, Any] = field(repr=False)
    exit_codes: list[int] | None
    driver_started_at: float | None
    cleanup_pending: bool

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        return cls(
            job_id=row["job_id"],
            name=row["name"],
            username=row["username"],
            submitted_at=row["submitted_at"],
            status=JobStatus(row["status"]),
            start_at=row["start_at"],
            end_at=row["end_at"],
            resources=row["resources"],
            log_dir=row["log_dir"] or "",
            spec=json.loads(row["spec"]),
            exit_codes=json.loads(row["exit_codes"]) if row["exit_codes"] else None,
            driver_started_at=row["driver_started_at"],
            cleanup_pending=bool(row["cleanup_pending"]),
        )

    def to_public(self) -> dict[str, Any]:
        """The row as `queue` prints it (the CLI contract)."""
        return {
            "job_id": self.job_id,
            "name": self.name,
            "username": self.username,
            "submitted_at": self.submitted_at,
            "start_at": self.start_at,
            "end_at": self.end_at,
            "status": self.status.value,
            "resources": self.resources,
            "log_dir": self.log_dir,
            "exit_codes": self.exit_codes,
        }


class JobTable:
    """All reads and writes of jobs.db (and its small `config` key/value table).

    One connection per process, shared by its threads under a lock: opening and closing SQLite
    connections costs milliseconds (the last close of a WAL database checkpoints it), and the
    CLI's latency is on the submit path. The daemon keeps its connection for life.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        with self._connect() as conn:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None,
                                       check_same_thread=False)
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA synchronous=NORMAL")
                self._conn = conn
            yield self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: read-modify-write sequences are serialised across processes."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # ---- jobs -------------------------------------------------------------------------------

    def add(self, spec: dict[str, Any], log_dir_for: Any) -> Job:
        """Insert an INIT job; `log_dir_for(job_id, name)` names its log dir once the id exists."""
        now = time.time()
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO jobs (name, username, submitted_at, status, resources, spec)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (spec["name"], spec["username"], now, JobStatus.INIT.value,
                 spec.get("resources_str") or "", json.dumps(spec)),
            )
            job_id = int(cur.lastrowid)
            conn.execute("UPDATE jobs SET log_dir = ? WHERE job_id = ?",
                         (log_dir_for(job_id, spec["name"]), job_id))
        job = self.get(job_id)
        assert job is not None
        return job

    def get(self, job_id: int) -> Job | None:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return Job.from_row(row) if row else None

    def latest(self) -> Job | None:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM jobs ORDER BY job_id DESC LIMIT 1").fetchone()
        return Job.from_row(row) if row else None

    def list(
        self,
        *,
        username: str | None = None,
        statuses: Iterable[JobStatus] | None = None,
        newest_first: bool = True,
    ) -> list[Job]:
        sql = "SELECT * FROM jobs"
        where: list[str] = []
        args: list[Any] = []
        if username is not None:
            where.append("username = ?")
            args.append(username)
        if statuses is not None:
            values = [s.value for s in statuses]
            where.append(f"status IN ({','.join('?' * len(values))})")
            args.extend(values)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY job_id " + ("DESC" if newest_first else "ASC")
        with self._connect() as conn:
            return [Job.from_row(row) for row in conn.execute(sql, args)]

    def nonterminal(self) -> list[Job]:
        return self.list(statuses=NONTERMINAL, newest_first=False)

    def has_nonterminal(self) -> bool:
        values = [s.value for s in NONTERMINAL]
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT 1 FROM jobs WHERE status IN ({','.join('?' * len(values))}) LIMIT 1",
                values,
            ).fetchone()
        return row is not None

    def next_undriven(self) -> Job | None:
        """The oldest PENDING job whose driver has not started (the head of the FIFO queue)."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT * FROM jobs WHERE status = ? AND driver_started_at IS NULL"
                " ORDER BY job_id LIMIT 1",
                (JobStatus.PENDING.value,),
            ).fetchone()
        return Job.from_row(row) if row else None

    def set_status(
        self,
        job_id: int,
        status: JobStatus,
        *,
        from_statuses: Iterable[JobStatus] = NONTERMINAL,
        start_at: float | None = None,
        end_at: float | None = None,
        exit_codes: list[int] | None = None,
    ) -> bool:
        """Move a job to `status` only if it is currently in `from_statuses`; True if it moved.

        Terminal statuses are never left: the default `from_statuses` is the non-terminal set.
        """
        sets = ["status = ?"]
        args: list[Any] = [status.value]
        if start_at is not None:
            sets.append("start_at = COALESCE(start_at, ?)")
            args.append(start_at)
        if end_at is not None:
            sets.append("end_at = ?")
            args.append(end_at)
        if exit_codes is not None:
            sets.append("exit_codes = ?")
            args.append(json.dumps(exit_codes))
        values = [s.value for s in from_statuses]
        args.append(job_id)
        args.extend(values)
        with self._connect() as conn:
            cur = conn.execute(
                f"UPDATE jobs SET {', '.join(sets)} WHERE job_id = ?"
                f" AND status IN ({','.join('?' * len(values))})",
                args,
            )
            return cur.rowcount == 1

    def claim(self, job_id: int) -> bool:
        """Mark the job's driver as started, only if nobody did yet and it is still PENDING.

        Conditional, so that two job hosts (an old one finishing its jobs after an upgrade and
        the new one) can never both drive a job.
        """
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE jobs SET driver_started_at = ? WHERE job_id = ?"
                " AND driver_started_at IS NULL AND status = ?",
                (time.time(), job_id, JobStatus.PENDING.value))
            return cur.rowcount == 1

    def placing(self) -> list[int]:
        """Jobs whose driver started but which are still PENDING: waiting for their nodes."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT job_id FROM jobs WHERE status = ? AND driver_started_at IS NOT NULL",
                (JobStatus.PENDING.value,)).fetchall()
        return [row["job_id"] for row in rows]

    def statuses(self, job_ids: Iterable[int]) -> dict[int, JobStatus]:
        ids = list(job_ids)
        if not ids:
            return {}
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT job_id, status FROM jobs WHERE job_id IN ({','.join('?' * len(ids))})",
                ids).fetchall()
        return {row["job_id"]: JobStatus(row["status"]) for row in rows}

    def set_cleanup_pending(self, job_id: int, pending: bool) -> None:
        with self._connect() as conn:
            conn.execute("UPDATE jobs SET cleanup_pending = ? WHERE job_id = ?",
                         (int(pending), job_id))

    def needing_cleanup(self) -> list[Job]:
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM jobs WHERE cleanup_pending = 1").fetchall()
        return [Job.from_row(row) for row in rows]

    def fail_stale_init(self, max_age: float) -> list[int]:
        """INIT rows older than `max_age` s (a submit that died half-way) → FAILED_DRIVER."""
        now = time.time()
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT job_id FROM jobs WHERE status = ? AND submitted_at < ?",
                (JobStatus.INIT.value, now - max_age),
            ).fetchall()
        failed = []
        for row in rows:
            if self.set_status(row["job_id"], JobStatus.FAILED_DRIVER,
                               from_statuses=[JobStatus.INIT], end_at=now):
                failed.append(row["job_id"])
        return failed

    # ---- config (autostop) ------------------------------------------------------------------

    def get_config(self, key: str, conn: sqlite3.Connection | None = None) -> Any:
        if conn is None:
            with self._connect() as own:
                return self.get_config(key, own)
        row = conn.execute("SELECT value FROM config WHERE key = ?", (key,)).fetchone()
        return json.loads(row["value"]) if row else None

    def set_config(self, key: str, value: Any, conn: sqlite3.Connection | None = None) -> None:
        if conn is None:
            with self._connect() as own:
                self.set_config(key, value, own)
                return
        conn.execute("INSERT OR REPLACE INTO config (key, value) VALUES (?, ?)",
                     (key, json.dumps(value)))
