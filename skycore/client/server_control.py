"""``sky api start|stop|login``: the local server's lifecycle and the saved endpoint."""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any

from skycore import paths
from skycore.client import autostart, endpoint


def _pid_file() -> str:
    return str(paths.sub_dir("api_server") / "server.json")


def running_server() -> dict[str, Any] | None:
    """``{"pid", "host", "port"}`` of the server this SKY_HOME started, if it still runs."""
    try:
        with open(_pid_file()) as f:
            info = json.load(f)
        os.kill(int(info["pid"]), 0)
        return info
    except (OSError, ValueError, KeyError):
        return None


def start(*, host: str = "127.0.0.1", port: int | None = None, foreground: bool = False,
          deploy: bool = False) -> str:
    """Start a server at host:port (default: the configured local endpoint)."""
    configured = endpoint.current()
    if port is None:
        port = configured.port if configured.is_local else endpoint.DEFAULT_PORT
    ep = endpoint.Endpoint("http", "127.0.0.1" if host in ("0.0.0.0", "::") else host, port)
    extra = ["--deploy"] if deploy else []
    if foreground:  # this process becomes the server (the one client module that may)
        from skycore.server.main import main as server_main

        server_main(["--host", host, "--port", str(port), *extra])
        return ep.url
    if autostart.healthy(ep):
        return ep.url
    bind = endpoint.Endpoint("http", host, port)
    proc = autostart.spawn(bind, extra_args=extra)
    autostart.wait_healthy(ep, proc, autostart.START_TIMEOUT_SECONDS)
    return ep.url


def stop() -> bool:
    """Stop the local server started from this SKY_HOME; False if none was running."""
    info = running_server()
    if info is None:
        return False
    pid = int(info["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return True


def login(endpoint_url: str, *, token: str | None = None) -> dict[str, Any]:
    """Check the server answers (with the token), then save endpoint and token."""
    from skycore import config
    from skycore.client import rest

    ep = endpoint.parse(endpoint_url)
    previous = os.environ.get("SKY_API_TOKEN")
    if token:
        os.environ["SKY_API_TOKEN"] = token
    try:
        # /api/status needs a user: it proves the credentials, which /api/health does not
        rest.request_json("GET", "/api/status", ep=ep, autostart=False, params={"limit": 1})
        health = rest.request_json("GET", "/api/health", ep=ep, autostart=False)
    finally:
        if token:
            if previous is None:
                os.environ.pop("SKY_API_TOKEN", None)
            else:
                os.environ["SKY_API_TOKEN"] = previous
    config.set_nested(("api_server", "endpoint"), endpoint_url)
    if token:
        config.set_nested(("api_server", "token"), token)
    return health
