"""Authentication and permissions of a multi-user API server (SQLite and PostgreSQL): basic
auth, service-account tokens (hashed, revocable, expiring), request ownership, user admin, and
the ``sky api users``/``tokens`` commands."""

from __future__ import annotations

import asyncio
import hashlib
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _auth_fixtures import PASSWORDS, basic, call
from _auth_fixtures import auth_server as _start
from click.testing import CliRunner
from sqlalchemy import select

from skycore.server import users
from skycore.state import models
from skycore.testing.api_server import ApiServer


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest) -> Iterator[ApiServer]:
    yield from _start(request)


def _request_of(server: ApiServer, name: str) -> str:
    status, _, body = call(server, "POST", "/status", auth=basic(name), body={})
    assert status == 200, body
    return body["request_id"]


# ----------------------------------------------------------------------------- unit
def test_password_hash_is_salted_and_checked() -> None:
    first, second = users.hash_password("pw"), users.hash_password("pw")
    assert first != second and "pw" not in first
    assert users.check_password("pw", first)
    assert not users.check_password("pW", first)
    assert not users.check_password("pw", None)
    assert not users.check_password("pw", "garbage")


def _through_middleware(client_host: str, *, path: str = "/api/status",
                        headers: list[tuple[bytes, bytes]] | None = None,
                        auth_required: bool = True, trust_loopback: bool = True
                        ) -> tuple[int | None, Any]:
    """Run one request through AuthMiddleware; (status it sent itself or None, user)."""
    from skycore.server.auth import AuthMiddleware

    seen: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen["user"] = scope["state"]["user"]

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            seen["status"] = message["status"]

    sky = types.SimpleNamespace(auth_required=auth_required, trust_loopback=trust_loopback,
                                engine=None)
    scope = {"type": "http", "path": path, "client": (client_host, 5555),
             "headers": [(b"x-skycore-user", b"carol"), *(headers or [])],
             "app": types.SimpleNamespace(state=types.SimpleNamespace(sky=sky))}
    asyncio.run(AuthMiddleware(app)(scope, None, send))
    return seen.get("status"), seen.get("user")


def test_middleware_trusts_loopback_only_when_allowed() -> None:
    status, user = _through_middleware("127.0.0.1")
    assert status is None and user.name == "carol" and user.is_admin
    assert _through_middleware("::1")[1].name == "carol"
    # --auth: loopback must log in too
    assert _through_middleware("127.0.0.1", trust_loopback=False)[0] == 401
    # a reverse proxy on the server host does not make remote callers local admins
    assert _through_middleware("127.0.0.1", headers=[(b"x-forwarded-for", b"1.2.3.4")]
                               )[0] == 401
    assert _through_middleware("10.1.2.3")[0] == 401
    assert _through_middleware("10.1.2.3", path="/api/health") == (None, None)
    # a server bound to loopback without --auth trusts whoever reaches it
    assert _through_middleware("10.1.2.3", auth_required=False)[1].name == "carol"


def test_initial_admin_from_environment(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    models.metadata.create_all(engine)
    env = {"SKY_INITIAL_BASIC_AUTH": "root:pw:with:colons"}
    assert users.bootstrap_from_env(engine, env) == "root"
    assert users.bootstrap_from_env(engine, env) is None  # idempotent
    user = users.verify_password(engine, "root", "pw:with:colons")
    assert user is not None and user.is_admin
    assert users.bootstrap_from_env(engine, {}) is None
    engine.dispose()


# ----------------------------------------------------------------------------- basic auth
def test_no_credentials_is_401(server: ApiServer) -> None:
    status, headers, body = call(server, "GET", "/api/status")
    assert status == 401
    assert headers["www-authenticate"] == 'Basic realm="skycore"'
    assert "Authentication required" in body["detail"]
    # health stays public, so clients can probe before logging in
    status, _, body = call(server, "GET", "/api/health")
    assert status == 200 and body["auth_required"] is True and body["user"] is None


@pytest.mark.parametrize("authorization", [
    basic("alice", "wrong"), basic("nobody", "x"), "Basic !!!notbase64", "Digest abc",
    "Bearer not-a-sky-token", "Bearer sky_unknown"])
def test_bad_credentials_are_401(server: ApiServer, authorization: str) -> None:
    status, headers, _ = call(server, "GET", "/api/status", auth=authorization)
    assert status == 401
    assert "www-authenticate" in headers


def test_basic_auth_attributes_requests(server: ApiServer) -> None:
    request_id = _request_of(server, "alice")
    status, _, record = call(server, "GET", f"/api/get?request_id={request_id}",
                             auth=basic("alice"))
    assert status == 200 and record["user_name"] == "alice" and record["user_id"] == "alice"
    status, _, rows = call(server, "GET", "/api/status?all_status=true", auth=basic("alice"))
    assert status == 200
    assert request_id in {r["request_id"] for r in rows}
    assert {r["user_name"] for r in rows} == {"alice"}
    status, _, body = call(server, "GET", "/api/health", auth=basic("alice"))
    assert body["user"] == "alice"


def test_user_cannot_cancel_another_users_request_but_admin_can(server: ApiServer) -> None:
    request_id = _request_of(server, "bob")
    status, _, body = call(server, "POST", "/api/cancel", auth=basic("alice"),
                           body={"request_ids": [request_id]})
    assert status == 403 and "bob" in body["detail"]
    status, _, _ = call(server, "GET", f"/api/get?request_id={request_id}", auth=basic("alice"))
    assert status == 403
    status, _, _ = call(server, "POST", "/api/cancel", auth=basic("alice"),
                        body={"all_users": True})
    assert status == 403
    status, _, body = call(server, "POST", "/api/cancel", auth=basic("admin"),
                           body={"request_ids": [request_id]})
    assert status == 200 and isinstance(body, list)


def test_password_change_takes_effect_at_once(server: ApiServer) -> None:
    status, _, _ = call(server, "POST", "/users", auth=basic("admin"),
                        body={"name": "carol", "password": "one", "role": "user"})
    assert status == 200
    assert call(server, "GET", "/api/status", auth=basic("carol", "one"))[0] == 200
    # carol changes her own password; the cached old credentials stop working
    status, _, _ = call(server, "PATCH", "/users/carol", auth=basic("carol", "one"),
                        body={"password": "two"})
    assert status == 200
    assert call(server, "GET", "/api/status", auth=basic("carol", "one"))[0] == 401
    assert call(server, "GET", "/api/status", auth=basic("carol", "two"))[0] == 200
    assert call(server, "DELETE", "/users/carol", auth=basic("admin"))[0] == 200
    assert call(server, "GET", "/api/status", auth=basic("carol", "two"))[0] == 401


def test_user_management_is_admin_only(server: ApiServer) -> None:
    alice = basic("alice")
    assert call(server, "GET", "/users", auth=alice)[0] == 403
    assert call(server, "POST", "/users", auth=alice, body={"name": "eve"})[0] == 403
    assert call(server, "PATCH", "/users/alice", auth=alice, body={"role": "admin"})[0] == 403
    assert call(server, "PATCH", "/users/bob", auth=alice, body={"password": "x"})[0] == 403
    assert call(server, "DELETE", "/users/bob", auth=alice)[0] == 403
    status, _, rows = call(server, "GET", "/users", auth=basic("admin"))
    assert status == 200
    assert {"admin", "alice", "bob"} <= {r["name"] for r in rows}
    assert all("password" not in key for r in rows for key in r if key != "has_password")
    assert call(server, "POST", "/users", auth=basic("admin"),
                body={"name": "alice"})[0] == 409
    assert call(server, "POST", "/users", auth=basic("admin"),
                body={"name": "../bad"})[0] == 400
    assert call(server, "POST", "/users", auth=basic("admin"),
                body={"name": "dave", "role": "root"})[0] == 400
    assert call(server, "DELETE", "/users/admin", auth=basic("admin"))[0] == 400
    assert call(server, "DELETE", "/users/nobody", auth=basic("admin"))[0] == 404
    # promoting takes effect on the next request (the cache is invalidated)
    assert call(server, "PATCH", "/users/bob", auth=basic("admin"),
                body={"role": "admin"})[0] == 200
    assert call(server, "GET", "/users", auth=basic("bob"))[0] == 200
    assert call(server, "PATCH", "/users/bob", auth=basic("admin"),
                body={"role": "user"})[0] == 200
    assert call(server, "GET", "/users", auth=basic("bob"))[0] == 403


# ----------------------------------------------------------------------------- tokens
def test_token_works_is_hashed_and_revocable(server: ApiServer) -> None:
    status, _, created = call(server, "POST", "/users/tokens", auth=basic("alice"),
                              body={"name": "ci"})
    assert status == 200, created
    token = created["token"]
    assert token.startswith("sky_") and created["user_name"] == "alice"
    bearer = f"Bearer {token}"
    request_id = _request_of_token(server, bearer)
    status, _, record = call(server, "GET", f"/api/get?request_id={request_id}", auth=bearer)
    assert record["user_name"] == "alice"
    with server.engine.connect() as conn:  # type: ignore[attr-defined]
        row = conn.execute(select(models.service_account_tokens).where(
            models.service_account_tokens.c.token_id == created["token_id"])).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(v) for v in row}
    assert row.last_used_at is not None
    # listed without the secret
    status, _, listed = call(server, "GET", "/users/tokens", auth=bearer)
    assert created["token_id"] in {t["token_id"] for t in listed}
    assert all("token" not in t for t in listed)
    # bob can neither see nor revoke it
    status, _, bobs = call(server, "GET", "/users/tokens", auth=basic("bob"))
    assert created["token_id"] not in {t["token_id"] for t in bobs}
    assert call(server, "DELETE", f"/users/tokens/{created['token_id']}",
                auth=basic("bob"))[0] == 404
    assert call(server, "GET", "/users/tokens?all_users=true", auth=basic("bob"))[0] == 403
    status, _, revoked = call(server, "DELETE", f"/users/tokens/{created['token_id']}",
                              auth=basic("alice"))
    assert status == 200 and revoked["revoked_at"] is not None
    status, _, body = call(server, "GET", "/api/status", auth=bearer)
    assert status == 401 and "revoked" in body["detail"]


def _request_of_token(server: ApiServer, bearer: str) -> str:
    status, _, body = call(server, "POST", "/status", auth=bearer, body={})
    assert status == 200, body
    return body["request_id"]


def test_expired_token_is_401(server: ApiServer) -> None:
    status, _, created = call(server, "POST", "/users/tokens", auth=basic("alice"),
                              body={"name": "short", "expires_in_days": 1.5 / 86400})
    assert status == 200
    bearer = f"Bearer {created['token']}"
    assert call(server, "GET", "/api/status", auth=bearer)[0] == 200  # cached from here on
    time.sleep(max(0.0, created["expires_at"] - time.time()) + 0.2)
    status, _, body = call(server, "GET", "/api/status", auth=bearer)
    assert status == 401 and "expired" in body["detail"]


def test_tokens_for_other_users_need_admin(server: ApiServer) -> None:
    assert call(server, "POST", "/users/tokens", auth=basic("alice"),
                body={"name": "x", "user_name": "bob"})[0] == 403
    status, _, created = call(server, "POST", "/users/tokens", auth=basic("admin"),
                              body={"name": "for-bob", "user_name": "bob"})
    assert status == 200 and created["user_name"] == "bob"
    status, _, body = call(server, "GET", "/api/health", auth=f"Bearer {created['token']}")
    assert body["user"] == "bob"
    status, _, every = call(server, "GET", "/users/tokens?all_users=true", auth=basic("admin"))
    assert created["token_id"] in {t["token_id"] for t in every}
    assert call(server, "DELETE", f"/users/tokens/{created['token_id']}",
                auth=basic("admin"))[0] == 200
    assert call(server, "POST", "/users/tokens", auth=basic("admin"),
                body={"name": "x", "user_name": "nobody"})[0] == 404


# ----------------------------------------------------------------------------- CLI
def test_users_and_tokens_commands(server: ApiServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from skycore.client import rest
    from skycore.client.cli.api_users_cmds import tokens, users

    monkeypatch.setenv("SKY_API_SERVER_ENDPOINT",
                       f"http://admin:{PASSWORDS['admin']}@{server.host}:{server.port}")
    monkeypatch.delenv("SKY_API_TOKEN", raising=False)
    rest.close()
    runner = CliRunner()
    try:
        result = runner.invoke(users, ["add", "frank", "--password", "pw-f"])
        assert result.exit_code == 0, result.output
        result = runner.invoke(users, ["list"])
        assert result.exit_code == 0 and "frank" in result.output
        result = runner.invoke(users, ["set-role", "frank", "admin"])
        assert result.exit_code == 0, result.output
        result = runner.invoke(users, ["set-password", "frank", "--password", "pw-g"])
        assert result.exit_code == 0, result.output
        assert call(server, "GET", "/users", auth=basic("frank", "pw-g"))[0] == 200
        result = runner.invoke(tokens, ["create", "robot", "--user", "frank",
                                        "--expires-in-days", "2"])
        assert result.exit_code == 0, result.output
        token = result.output.strip().splitlines()[-1]
        assert token.startswith("sky_")
        monkeypatch.setenv("SKY_API_SERVER_ENDPOINT", server.url)
        monkeypatch.setenv("SKY_API_TOKEN", token)  # the client's bearer credentials
        rest.close()
        result = runner.invoke(tokens, ["list"])
        assert result.exit_code == 0 and "robot" in result.output and "frank" in result.output
        token_id = result.output.splitlines()[1].split()[0]
        result = runner.invoke(tokens, ["revoke", token_id])
        assert result.exit_code == 0, result.output
        result = runner.invoke(tokens, ["list"])
        assert result.exit_code != 0  # the token revoked itself
        monkeypatch.delenv("SKY_API_TOKEN")
        monkeypatch.setenv("SKY_API_SERVER_ENDPOINT",
                           f"http://admin:{PASSWORDS['admin']}@{server.host}:{server.port}")
        rest.close()
        result = runner.invoke(users, ["delete", "frank", "-y"])
        assert result.exit_code == 0, result.output
    finally:
        rest.close()


def test_openapi_documents_users_tokens_and_upload(server: ApiServer) -> None:
    status, _, schema = call(server, "GET", "/openapi.json", auth=basic("alice"))
    assert status == 200
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/users"]) and {"patch", "delete"} <= set(
        paths["/users/{name}"])
    assert {"get", "post"} <= set(paths["/users/tokens"])
    assert "delete" in paths["/users/tokens/{token_id}"]
    assert "application/octet-stream" in paths["/upload"]["post"]["requestBody"]["content"]
    assert "get" in paths["/upload/status"]
    assert {"name", "password", "role"} <= set(
        schema["components"]["schemas"]["CreateUserBody"]["properties"])
