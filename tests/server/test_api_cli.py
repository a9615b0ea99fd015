"""`sky api …` through the real `sky` script against a real server, and where the client
sends its requests (environment > saved login > local default)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from skycore import config, errors
from skycore.client import endpoint, sdk
from skycore.testing.api_server import ApiServer

SKY = str(Path(sys.executable).with_name("sky"))


def _sky(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SKY, *args], env=env, capture_output=True, text=True, timeout=120)


def test_api_info_status_logs_cancel(client: ApiServer) -> None:
    env = client.client_env()
    info = _sky("api", "info", env=env)
    assert info.returncode == 0, info.stderr
    assert client.url in info.stdout and "API version: 1" in info.stdout

    request_id = sdk.check()
    sdk.get(request_id)
    listed = _sky("api", "status", "-a", env=env)
    assert listed.returncode == 0, listed.stderr
    assert request_id[:8] in listed.stdout and "SUCCEEDED" in listed.stdout
    assert "ID" in listed.stdout.splitlines()[0]
    assert request_id[:8] not in _sky("api", "status", env=env).stdout  # active only

    logs = _sky("api", "logs", request_id[:8], env=env)
    assert logs.returncode == 0, logs.stderr

    nothing = _sky("api", "cancel", request_id[:8], env=env)
    assert nothing.returncode == 0 and "No active request" in nothing.stdout
    usage = _sky("api", "cancel", env=env)
    assert usage.returncode == 2
    unknown = _sky("api", "logs", "ffffffff", env=env)
    assert unknown.returncode == 1 and "No API request" in unknown.stderr


def test_login_saves_the_endpoint_and_environment_overrides_it(
        client: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "client_home"
    env = {k: v for k, v in os.environ.items()
           if k not in ("SKY_API_SERVER_ENDPOINT", "SKYPILOT_API_SERVER_ENDPOINT")}
    env["SKY_HOME"] = str(home)
    login = _sky("api", "login", "-e", client.url, env=env)
    assert login.returncode == 0, login.stderr
    monkeypatch.setenv("SKY_HOME", str(home))
    monkeypatch.delenv("SKY_API_SERVER_ENDPOINT")
    assert config.get_nested(("api_server", "endpoint")) == client.url
    assert endpoint.current().url == client.url
    # the saved endpoint is used by later commands (no server is started locally)
    status = _sky("status", env=env)
    assert status.returncode == 0, status.stderr
    assert "Starting a local API server" not in status.stderr
    # SkyPilot's variable and ours override the saved login, ours first
    monkeypatch.setenv("SKYPILOT_API_SERVER_ENDPOINT", "http://127.0.0.9:1")
    assert endpoint.current().url == "http://127.0.0.9:1"
    monkeypatch.setenv("SKY_API_SERVER_ENDPOINT", "http://127.0.0.8:2")
    assert endpoint.current().url == "http://127.0.0.8:2"
    logout = _sky("api", "logout", env=env)
    assert logout.returncode == 0 and "Logged out" in logout.stdout
    assert config.get_nested(("api_server", "endpoint")) is None


def test_login_to_nothing_fails_and_saves_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "SKY_HOME": str(tmp_path / "h")}
    env.pop("SKY_API_SERVER_ENDPOINT", None)
    result = _sky("api", "login", "-e", "http://127.0.0.1:9", env=env)
    assert result.returncode == 1
    assert "Could not connect" in result.stderr
    assert not (tmp_path / "h" / "config.yaml").exists()


@pytest.mark.parametrize("url, expected", [
    ("http://localhost:46580", ("127.0.0.1", 46580, None, True)),
    ("127.0.0.1:5000", ("127.0.0.1", 5000, None, True)),
    ("http://alice:p%40ss@10.0.0.5:8080", ("10.0.0.5", 8080, "alice", False)),
    ("https://sky.example.org", ("sky.example.org", 443, None, False)),
])
def test_endpoint_parsing(url: str, expected: tuple) -> None:
    ep = endpoint.parse(url)
    assert (ep.host, ep.port, ep.username, ep.is_local) == expected
    assert "p@ss" not in ep.url


@pytest.mark.parametrize("url", ["ftp://x:1", "http://:80", "http://h:99999"])
def test_bad_endpoints_are_clear_errors(url: str) -> None:
    with pytest.raises(errors.ApiServerError, match="endpoint"):
        endpoint.parse(url)
