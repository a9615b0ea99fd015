"""Test-wide isolation: every test session gets its own SKY_HOME and fast skylet ticks, and
whatever local clusters it leaves are ended by PID at the end."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from skycore.testing.api_server import free_port, stop_server_of
from skycore.testing.isolation import kill_local_clusters
from skycore.testing.postgres import PostgresServer

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="skytest-"))
os.environ["SKY_HOME"] = str(_SESSION_HOME / "sky_home")
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
# skylet checks autostop every tick; 1 s keeps autostop tests short
os.environ.setdefault("SKYLET_TICK_SECONDS", "1")
# CLI tests auto-start an API server: on a free port, never the user's 46580
os.environ["SKY_API_SERVER_ENDPOINT"] = f"http://127.0.0.1:{free_port()}"
os.environ.pop("SKYPILOT_API_SERVER_ENDPOINT", None)
os.environ.pop("SKY_API_TOKEN", None)

# SKYCORE_TEST_DB=postgresql runs the whole session's state (clusters, requests, the API
# servers the CLI starts) on a private PostgreSQL server instead of SQLite under SKY_HOME.
_SESSION_PG: PostgresServer | None = None
if os.environ.get("SKYCORE_TEST_DB") == "postgresql":
    _SESSION_PG = PostgresServer().start()
    os.environ["SKY_DB"] = _SESSION_PG.create_database("session")


@pytest.fixture(scope="session")
def sky_home() -> Path:
    path = Path(os.environ["SKY_HOME"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    stop_server_of(Path(os.environ["SKY_HOME"]))
    kill_local_clusters(Path(os.environ["SKY_HOME"]))
    if _SESSION_PG is not None:
        _SESSION_PG.stop()
    from skycore.server.executor import remove_dead_mp_dirs, short_mp_base

    remove_dead_mp_dirs(short_mp_base())  # servers of tests with long SKY_HOME paths
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)


# ----------------------------------------------------------------------------- state database
@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL server for the session (stopped and removed at the end)."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_db(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
             tmp_path: Path) -> Iterator[str]:
    """Run the test once on a fresh SQLite file and once on a fresh PostgreSQL database:
    ``SKY_DB`` points at it and the engine cache is reset. Yields the URL."""
    from skycore.state import engine

    server: PostgresServer | None = None
    db_name = f"t_{uuid.uuid4().hex[:16]}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.create_database(db_name)
    monkeypatch.setenv("SKY_DB", url)
    engine.reset_engines()
    try:
        yield url
    finally:
        engine.reset_engines()
        if server is not None:
            server.drop_database(db_name)
