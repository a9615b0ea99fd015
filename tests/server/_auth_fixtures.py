"""A real API server that requires authentication even from loopback (``--auth``), with an
admin and two users made directly in its database, plus a raw HTTP helper.

Why ``--auth`` on 127.0.0.1: it exercises exactly what a non-loopback client meets, without
binding anything but loopback.
"""

from __future__ import annotations

import base64
import http.client
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skycore.testing.api_server import ApiServer, server_database
from skycore.testing.isolation import kill_local_clusters

PASSWORDS = {"admin": "admin-secret", "alice": "alice-secret", "bob": "bob-secret"}


def basic(name: str, password: str | None = None) -> str:
    raw = f"{name}:{PASSWORDS[name] if password is None else password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def call(server: ApiServer, method: str, path: str, *, auth: str | None = None,
         body: Any = None, raw: bytes | None = None, headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, str], Any]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
    try:
        hdrs = dict(headers or {})
        payload = raw
        if body is not None:
            payload = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if auth is not None:
            hdrs["Authorization"] = auth
        conn.request(method, path, body=payload, headers=hdrs)
        response = conn.getresponse()
        data = response.read()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data
        return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed
    finally:
        conn.close()


def auth_server(request: pytest.FixtureRequest) -> Iterator[ApiServer]:
    """Body of a module-scoped fixture parametrized with "sqlite"/"postgresql"."""
    from sqlalchemy import create_engine

    from skycore.server import users
    from skycore.state.url import normalize

    home = Path(tempfile.mkdtemp(prefix="skyauth-"))
    try:
        with server_database(request.param, home, request) as url:
            server = ApiServer(home / "sky_home", env={"SKY_DB": url}, extra_args=["--auth"])
            engine = None
            try:
                server.start()  # migrates the schema
                engine = create_engine(normalize(url))
                users.create_user(engine, "admin", PASSWORDS["admin"], "admin")
                users.create_user(engine, "alice", PASSWORDS["alice"])
                users.create_user(engine, "bob", PASSWORDS["bob"])
                server.engine = engine  # type: ignore[attr-defined]
                server.db_url = url  # type: ignore[attr-defined]
                yield server
            finally:
                server.stop()
                if engine is not None:
                    engine.dispose()
                kill_local_clusters(home / "sky_home")
    finally:
        shutil.rmtree(home, ignore_errors=True)
