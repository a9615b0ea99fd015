"""Real API servers for the server tests, once on SQLite and once on PostgreSQL.

A server is module-scoped (starting one costs ~1.5 s); each test points the in-process SDK at
it through ``SKY_API_SERVER_ENDPOINT``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from skycore.testing.api_server import ApiServer, server_database
from skycore.testing.isolation import kill_local_clusters


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api_server(request: pytest.FixtureRequest) -> Iterator[ApiServer]:
    home = Path(tempfile.mkdtemp(prefix="skysrv-"))
    try:
        with server_database(request.param, home, request) as url:
            server = ApiServer(home / "sky_home", env={"SKY_DB": url})
            server.db_kind = request.param  # type: ignore[attr-defined]
            try:
                server.start()
                yield server
            finally:
                server.stop()
                kill_local_clusters(home / "sky_home")
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def client(api_server: ApiServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    """The in-process SDK talks to ``api_server`` (fresh connections per test)."""
    from skycore.client import rest

    monkeypatch.setenv("SKY_API_SERVER_ENDPOINT", api_server.url)
    rest.close()
    yield api_server
    rest.close()
