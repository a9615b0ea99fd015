"""HTTP to the API server over the standard library's ``http.client``.

Why not requests/httpx: importing either costs more than a whole ``sky status`` round trip is
allowed to take. One keep-alive connection per thread; a connection the server closed is
reopened once. The first call that finds nothing listening at a local endpoint starts the
server (:mod:`skycore.client.autostart`) and retries.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import threading
from typing import Any
from urllib.parse import urlencode

from skycore import errors
from skycore.client import endpoint as endpoint_lib
from skycore.server import constants as C

_local = threading.local()
_checked_version = False


def _user_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "user"


def _token() -> str | None:
    token = os.environ.get("SKY_API_TOKEN")
    if token:
        return token
    from skycore import config

    value = config.get_nested(("api_server", "token"))
    return str(value) if value else None


def headers(ep: endpoint_lib.Endpoint) -> dict[str, str]:
    result = {C.HEADER_API_VERSION: str(C.API_VERSION), C.HEADER_USER: _user_name()}
    if ep.username is not None:
        raw = f"{ep.username}:{ep.password or ''}".encode()
        result["Authorization"] = "Basic " + base64.b64encode(raw).decode()
    else:
        token = _token()
        if token:
            result["Authorization"] = "Bearer " + token
    return result


def _connection(ep: endpoint_lib.Endpoint, timeout: float | None) -> http.client.HTTPConnection:
    key = (ep.scheme, ep.host, ep.port)
    conns: dict[Any, http.client.HTTPConnection] = getattr(_local, "conns", None) or {}
    _local.conns = conns
    conn = conns.get(key)
    if conn is None:
        cls = http.client.HTTPSConnection if ep.scheme == "https" else http.client.HTTPConnection
        conn = cls(ep.host, ep.port, timeout=timeout)
        conns[key] = conn
    conn.timeout = timeout
    if conn.sock is not None:
        conn.sock.settimeout(timeout)
    return conn


def _drop_connection(ep: endpoint_lib.Endpoint) -> None:
    conns = getattr(_local, "conns", None) or {}
    conn = conns.pop((ep.scheme, ep.host, ep.port), None)
    if conn is not None:
        conn.close()


def raise_for_status(status: int, data: bytes, ep: endpoint_lib.Endpoint) -> None:
    try:
        detail = json.loads(data).get("detail") if data else None
    except (ValueError, AttributeError):
        detail = None
    text = detail if isinstance(detail, str) else (
        json.dumps(detail) if detail else data[:500].decode(errors="replace"))
    if status in (401, 403):
        hint = "" if status == 403 else (
            f" Log in with: sky api login -e {ep.url} --token TOKEN (or put user:password in "
            "the endpoint URL).")
        raise errors.ApiServerAuthError(f"API server at {ep.url} refused the request "
                                        f"(HTTP {status}): {text}.{hint}")
    if status == 400 and b"VERSION_MISMATCH" in data:
        raise errors.ApiVersionMismatchError(text)
    if status == 404 and "request" in text.lower():
        raise errors.RequestNotFoundError(text)
    raise errors.ApiServerError(f"API server at {ep.url} answered HTTP {status}: {text}")


def _check_server_version(response: http.client.HTTPResponse, ep: endpoint_lib.Endpoint
                          ) -> None:
    global _checked_version
    if _checked_version:
        return
    value = response.getheader(C.HEADER_API_VERSION)
    if value is not None:
        _checked_version = True
        if int(value) < C.MIN_COMPATIBLE_API_VERSION:
            hint = ("restart it with the new version: sky api stop; sky api start" if ep.is_local
                    else "ask its administrator to upgrade skycore on the server")
            raise errors.ApiVersionMismatchError(
                f"The API server at {ep.url} (API version {value}) is older than this client "
                f"supports (>= {C.MIN_COMPATIBLE_API_VERSION}); {hint}.")


def open_request(method: str, path: str, *, body: Any = None,
                 params: dict[str, Any] | None = None, timeout: float | None = 60.0,
                 ep: endpoint_lib.Endpoint | None = None, autostart: bool = True
                 ) -> http.client.HTTPResponse:
    """Send a request and return the open response (status checked; body unread)."""
    ep = ep or endpoint_lib.current()
    query = ""
    if params:
        pairs = [(k, v) for k, v in params.items() if v is not None]
        query = "?" + urlencode([(k, str(v).lower() if isinstance(v, bool) else v)
                                 for k, v in pairs], doseq=True)
    payload = None if body is None else json.dumps(body).encode()
    hdrs = headers(ep)
    if payload is not None:
        hdrs["Content-Type"] = "application/json"
    url = ep.base_path + path + query
    for attempt in range(3):
        conn = _connection(ep, timeout)
        try:
            conn.request(method, url, body=payload, headers=hdrs)
            response = conn.getresponse()
            break
        except ConnectionRefusedError:
            _drop_connection(ep)
            if not (autostart and ep.is_local and attempt == 0):
                raise errors.ApiServerError(
                    f"Could not connect to the API server at {ep.url}. Start it with "
                    "`sky api start`, or set the endpoint with `sky api login -e URL`."
                ) from None
            from skycore.client import autostart as autostart_lib

            autostart_lib.start_local(ep)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            _drop_connection(ep)  # a keep-alive connection the server closed: reopen once
            if attempt == 2:
                raise errors.ApiServerError(f"The API server at {ep.url} closed the "
                                            "connection.") from None
        except OSError as exc:
            _drop_connection(ep)
            raise errors.ApiServerError(f"Could not reach the API server at {ep.url}: "
                                        f"{exc}") from None
    _check_server_version(response, ep)
    if response.status >= 400:
        data = response.read()
        raise_for_status(response.status, data, ep)
    return response


def request_json(method: str, path: str, *, body: Any = None,
                 params: dict[str, Any] | None = None, timeout: float | None = 60.0,
                 ep: endpoint_lib.Endpoint | None = None, autostart: bool = True
                 ) -> Any:
    """One JSON call; returns the decoded body (202 bodies too: callers check status)."""
    response = open_request(method, path, body=body, params=params, timeout=timeout, ep=ep,
                            autostart=autostart)
    data = response.read()
    return json.loads(data) if data else None


def request_json_with_status(method: str, path: str, *, params: dict[str, Any] | None = None,
                             timeout: float | None = 60.0) -> tuple[int, Any]:
    response = open_request(method, path, params=params, timeout=timeout)
    data = response.read()
    return response.status, (json.loads(data) if data else None)


def close() -> None:
    """Close this thread's connections (tests; a client that forks)."""
    for conn in (getattr(_local, "conns", None) or {}).values():
        conn.close()
    _local.conns = {}
