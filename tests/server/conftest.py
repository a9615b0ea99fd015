"""Real API servers for the server tests, once on SQLite and once on PostgreSQL.

A server is module-scoped (starting one costs ~1.5 s); each test points the in-process SDK at
it through ``SKY_API_SERVER_ENDPOINT``.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from skycore.testing.api_server import ApiServer
from skycore.testing.isolation import kill_local_clusters


def _db_url(kind: str, home: Path, request: pytest.FixtureRequest) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{home / 'state.db'}", None
    server = request.getfixturevalue("postgres_server")
    name = f"srv_{uuid.uuid4().hex[:12]}"
    return server.create_database(name), name


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api_server(request: pytest.FixtureRequest) -> Iterator[ApiServer]:
    home = Path(tempfile.mkdtemp(prefix="skysrv-"))
    url, pg_name = _db_url(request.param, home, request)
    server = ApiServer(home / "sky_home", env={"SKY_DB": url})
    server.db_kind = request.param  # type: ignore[attr-defined]
    try:
        server.start()
        yield server
    finally:
        server.stop()
        kill_local_clusters(home / "sky_home")
        if pg_name is not None:
            request.getfixturevalue("postgres_server").drop_database(pg_name)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def client(api_server: ApiServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    """The in-process SDK talks to ``api_server`` (fresh connections per test)."""
    from skycore.client import rest

    monkeypatch.setenv("SKY_API_SERVER_ENDPOINT", api_server.url)
    rest.close()
    yield api_server
    rest.close()
