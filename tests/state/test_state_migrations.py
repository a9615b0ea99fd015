"""Alembic migrations at start: from empty, from a pre-Alembic database, from the baseline,
refusing a newer database, no drift between models and migrations, and concurrent first starts.
Every test runs on SQLite and PostgreSQL (``state_db``)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from skycore.state import clusters, engine, migrations, models
from skycore.state.errors import StateDatabaseError

Spawn = Callable[..., subprocess.Popen]

SERVER_TABLES = {"requests", "users", "service_account_tokens", "uploads"}
ALL_TABLES = {"clusters", "cluster_history", *SERVER_TABLES}


def _raw_engine(url: str) -> sa.Engine:
    """An engine that does not migrate (to prepare or inspect a database behind skycore's back)."""
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def _tables(url: str) -> set[str]:
    raw = _raw_engine(url)
    try:
        return set(sa.inspect(raw).get_table_names())
    finally:
        raw.dispose()


def _revisions(url: str) -> list[str]:
    raw = _raw_engine(url)
    try:
        with raw.connect() as conn:
            return list(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        raw.dispose()


def _migrate_raw(url: str, revision: str) -> None:
    raw = _raw_engine(url)
    try:
        with raw.begin() as conn:
            command.upgrade(migrations.alembic_config(conn), revision)
    finally:
        raw.dispose()


def _cluster_row(name: str) -> dict[str, object]:
    now = time.time()
    return dict(name=name, cluster_hash=f"h-{name}", status="UP", launched_at=now,
                status_updated_at=now, owner="alice", cloud="local", region="r", zone=None,
                num_nodes=1, launched_resources={"cpus": 2}, hourly_price=0.5,
                handle={"cluster_name_on_cloud": name}, autostop=-1.0, to_down=False,
                cluster_ever_up=True)


def test_head_constant_is_the_script_directory_head() -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert script.get_current_head() == migrations.HEAD
    assert [r.revision for r in script.walk_revisions()][-1] == migrations.BASELINE


def test_fresh_database_is_created_at_head(state_db: str) -> None:
    engine.get_engine()
    assert _tables(state_db) >= ALL_TABLES
    assert _revisions(state_db) == [migrations.HEAD]


def test_models_and_migrations_do_not_drift(state_db: str) -> None:
    with engine.get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                models.metadata)
    assert diff == []


def test_upgrade_from_the_baseline_keeps_data(state_db: str) -> None:
    _migrate_raw(state_db, migrations.BASELINE)
    raw = _raw_engine(state_db)
    with raw.begin() as conn:
        conn.execute(models.clusters.insert().values(**_cluster_row("kept")))
    raw.dispose()
    assert not SERVER_TABLES & _tables(state_db)

    record = clusters.get("kept")  # opens the engine: upgrades to head
    assert record is not None and record.launched_resources == {"cpus": 2}
    assert _tables(state_db) >= ALL_TABLES
    assert _revisions(state_db) == [migrations.HEAD]


def test_downgrade_to_base_and_back(state_db: str) -> None:
    engine.get_engine()
    engine.reset_engines()
    raw = _raw_engine(state_db)
    with raw.begin() as conn:
        command.downgrade(migrations.alembic_config(conn), "base")
    raw.dispose()
    assert _tables(state_db) <= {"alembic_version"}
    engine.get_engine()
    assert _tables(state_db) >= ALL_TABLES


def _make_pre_alembic(url: str, version: int) -> None:
    """The schema as skycore wrote it before Alembic: ``create_all`` + ``schema_version``."""
    old = sa.MetaData()
    models.clusters.to_metadata(old)
    models.cluster_history.to_metadata(old)
    schema_version = sa.Table("schema_version", old,
                              sa.Column("id", sa.Integer, primary_key=True),
                              sa.Column("version", sa.Integer, nullable=False))
    raw = _raw_engine(url)
    with raw.begin() as conn:
        old.create_all(conn)
        conn.execute(schema_version.insert().values(id=1, version=version))
        conn.execute(models.clusters.insert().values(**_cluster_row("old")))
    raw.dispose()


def test_pre_alembic_database_is_adopted(state_db: str) -> None:
    _make_pre_alembic(state_db, version=1)
    assert clusters.get("old") is not None
    tables = _tables(state_db)
    assert tables >= ALL_TABLES and "schema_version" not in tables
    assert _revisions(state_db) == [migrations.HEAD]
    with engine.get_engine().connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), models.metadata) == []


def test_pre_alembic_database_from_a_newer_skycore_is_refused(state_db: str) -> None:
    _make_pre_alembic(state_db, version=2)
    with pytest.raises(StateDatabaseError, match="newer skycore.*Upgrade skycore"):
        engine.get_engine()
    assert "schema_version" in _tables(state_db)  # untouched


def test_database_from_a_newer_skycore_is_refused(state_db: str) -> None:
    engine.get_engine()
    engine.reset_engines()
    raw = _raw_engine(state_db)
    with raw.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    raw.dispose()
    with pytest.raises(StateDatabaseError, match="9999.*Upgrade skycore"):
        engine.get_engine()
    assert _revisions(state_db) == ["9999"]


def test_up_to_date_database_opens_without_importing_alembic(state_db: str,
                                                             spawn: Spawn) -> None:
    engine.get_engine()
    proc = spawn("""
        import sys
        from skycore.state.engine import get_engine
        get_engine()
        print("alembic" in sys.modules)
    """)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.strip() == "False"


def test_concurrent_first_starts_all_succeed(state_db: str, spawn: Spawn,
                                             tmp_path: Path) -> None:
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{i}" for i in range(4)]
    procs = [spawn("""
        import os, sys, time
        import alembic.command, sqlalchemy  # slow imports first: race on the database only
        from skycore.state.engine import get_engine
        open(sys.argv[2], "w").close()
        while not os.path.exists(sys.argv[1]):
            time.sleep(0.002)
        get_engine()
    """, str(go), str(r)) for r in ready]
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert _revisions(state_db) == [migrations.HEAD]
    assert _tables(state_db) >= ALL_TABLES


def test_failed_migration_leaves_nothing_behind(state_db: str) -> None:
    """A migration that fails half-way (here: at its second table) is rolled back entirely on
    both backends, so the next start migrates cleanly."""

    def fail_on_users(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().startswith("CREATE TABLE users"):
            raise RuntimeError("injected failure")

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", fail_on_users)
    try:
        with pytest.raises(StateDatabaseError, match="injected failure"):
            engine.get_engine()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", fail_on_users)
    assert _tables(state_db) == set()
    engine.reset_engines()
    engine.get_engine()
    assert _revisions(state_db) == [migrations.HEAD]
