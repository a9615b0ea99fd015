"""The engine: one per URL, fork-safe, and the PostgreSQL fixture cleans up after itself."""

from __future__ import annotations

import os

import sqlalchemy as sa

from skycore.state import engine
from skycore.testing.postgres import PostgresServer


def _one(eng: sa.Engine) -> int:
    with eng.connect() as conn:
        return conn.execute(sa.text("SELECT 1")).scalar_one()


def test_one_engine_per_url(state_db: str) -> None:
    assert engine.get_engine() is engine.get_engine()
    engine.reset_engines()
    assert _one(engine.get_engine()) == 1


def test_sqlite_pragmas(state_db: str) -> None:
    if not state_db.startswith("sqlite"):
        return
    with engine.get_engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_forked_child_and_parent_both_keep_working(state_db: str) -> None:
    eng = engine.get_engine()
    assert _one(eng) == 1  # a pooled connection now exists in the parent
    pid = os.fork()
    if pid == 0:  # child: must get fresh connections, never the parent's
        code = 1
        try:
            code = 0 if _one(engine.get_engine()) == 1 else 2
            engine.dispose_engines()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    for _ in range(3):  # the parent's pooled connection survived the child's exit
        assert _one(eng) == 1


def test_postgres_server_stops_and_removes_its_directory() -> None:
    server = PostgresServer().start()
    assert server.dir is not None
    pid_file = server.data_dir / "postmaster.pid"
    pid = int(pid_file.read_text().split()[0])
    directory = server.dir
    server.stop()
    server.stop()  # idempotent
    assert not directory.exists()
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat") as f:
            alive = f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        alive = False
    assert not alive
