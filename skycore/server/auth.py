"""Who is calling: a plain ASGI middleware that puts a :class:`~skycore.server.identity.User` in
``scope["state"]["user"]`` or answers 401 itself.

Rules, in order:

1. a server that does not require auth (bound to loopback), or a loopback client of a server that
   trusts loopback (``ServerState.trust_loopback``; off with ``--auth``), is the trusted local
   user named by ``X-Skycore-User`` (an admin: that is how an operator bootstraps users). A
   request carrying proxy headers (``X-Forwarded-For``, ``Forwarded``, ``X-Real-IP``) is never
   trusted so: a reverse proxy on the server host would otherwise make every remote caller an
   admin;
2. ``Authorization: Basic`` is checked against the ``users`` table (scrypt);
3. ``Authorization: Bearer sky_…`` against the ``service_account_tokens`` table (sha256);
4. ``/api/health`` answers without credentials (clients probe it before logging in);
5. anything else is 401 with ``WWW-Authenticate: Basic realm="skycore"``.

Permissions (403) are the routes' business (:func:`skycore.server.identity.current_user`).

Why a plain ASGI class: Starlette's BaseHTTPMiddleware costs hundreds of microseconds a request.
Why a cache: scrypt takes tens of milliseconds on purpose; a successful check is remembered for
:data:`CACHE_TTL_S` under the sha256 of the credentials (never the credentials themselves) and
forgotten as soon as any user or token changes (:func:`skycore.server.users.generation`).
Cache misses run in a thread so a password check never stalls the event loop. With several
server processes (PostgreSQL deployments) a change made through one is seen by the others within
the TTL.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import hashlib
import ipaddress
import json
import time
from typing import Any

from skycore.server import constants as C
from skycore.server import identity, users

CACHE_TTL_S = 60.0
_CACHE_MAX = 10_000
_PUBLIC_PATHS = frozenset({"/api/health"})
_USER_HEADER = C.HEADER_USER.lower().encode()
#: a request relayed by a proxy on this host is not a local user, whatever its socket says
_FORWARDED = frozenset({b"x-forwarded-for", b"forwarded", b"x-real-ip"})
_CHALLENGE = [(b"www-authenticate", b'Basic realm="skycore"'),
              (b"content-type", b"application/json")]


@dataclasses.dataclass
class _Entry:
    user: identity.User
    generation: int
    until: float  # time.monotonic() deadline
    token_id: str | None = None
    token_expires_at: float | None = None
    last_touch: float = 0.0  # wall clock of the last last_used_at write


_cache: dict[str, _Entry] = {}
_loopback: dict[str, bool] = {}


def clear_cache() -> None:
    _cache.clear()


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    known = _loopback.get(host)
    if known is None:
        try:
            known = ipaddress.ip_address(host).is_loopback
        except ValueError:
            known = False
        if len(_loopback) < 1024:
            _loopback[host] = known
    return known


class AuthError(Exception):
    """Credentials missing or wrong; the message is the 401 ``detail``."""


class AuthMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state.sky
        client = scope.get("client")
        host = client[0] if client else None
        authorization = None
        user_header = None
        forwarded = False
        for key, value in scope.get("headers", ()):
            if key == b"authorization":
                authorization = value.decode("latin-1")
            elif key == _USER_HEADER:
                user_header = value.decode("latin-1")
            elif key in _FORWARDED:
                forwarded = True
        user: identity.User | None
        if not state.auth_required or (state.trust_loopback
                                       and is_loopback(host) and not forwarded):
            user = identity.local_user(user_header)
        else:
            try:
                user = await authenticate(state.engine, authorization)
            except AuthError as exc:
                if scope.get("path") in _PUBLIC_PATHS:
                    user = None
                else:
                    await _reject(scope, send, str(exc))
                    return
        scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)


async def _reject(scope: dict[str, Any], send: Any, detail: str) -> None:
    if scope["type"] == "websocket":  # refused before accept: the client sees HTTP 403
        await send({"type": "websocket.close", "code": 1008, "reason": detail[:120]})
        return
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": 401,
                "headers": [*_CHALLENGE, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def authenticate(engine: Any, authorization: str | None) -> identity.User:
    """The user an ``Authorization`` header value stands for; raises :class:`AuthError`."""
    if not authorization:
        raise AuthError("Authentication required: this API server needs a user and password "
                        "(http://USER:PASSWORD@HOST:PORT) or a service-account token.")
    scheme, _, credentials = authorization.strip().partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if scheme not in ("basic", "bearer") or not credentials:
        raise AuthError("Unsupported Authorization header: use Basic or Bearer.")
    key = hashlib.sha256(f"{scheme}\0{credentials}".encode()).hexdigest()
    entry = _cache.get(key)
    now = time.time()
    if entry is not None and (entry.generation != users.generation()
                              or entry.until < time.monotonic()):
        _cache.pop(key, None)
        entry = None
    if entry is not None:
        if entry.token_expires_at is not None and entry.token_expires_at <= now:
            _cache.pop(key, None)
            raise AuthError(f"Service-account token {entry.token_id} has expired.")
        if entry.token_id is not None and now - entry.last_touch >= users.TOUCH_INTERVAL_S:
            entry.last_touch = now
            await asyncio.to_thread(users.touch_token, engine, entry.token_id)
        return entry.user
    generation = users.generation()
    if scheme == "basic":
        user = await asyncio.to_thread(_check_basic, engine, credentials)
        entry = _Entry(user, generation, time.monotonic() + CACHE_TTL_S)
    else:
        try:
            match = await asyncio.to_thread(users.verify_token, engine, credentials)
        except users.TokenRejectedError as exc:
            raise AuthError(str(exc)) from None
        entry = _Entry(match.user, generation, time.monotonic() + CACHE_TTL_S,
                       token_id=match.token_id, token_expires_at=match.expires_at,
                       last_touch=now)
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    _cache[key] = entry
    return entry.user


def _check_basic(engine: Any, credentials: str) -> identity.User:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise AuthError("Malformed Basic credentials.") from None
    name, sep, password = decoded.partition(":")
    if not sep:
        raise AuthError("Malformed Basic credentials (expected user:password).")
    user = users.verify_password(engine, name, password)
    if user is None:
        raise AuthError("Invalid user name or password.")
    return user
