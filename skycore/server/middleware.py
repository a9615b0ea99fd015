"""API-version negotiation as a plain ASGI middleware (Starlette's BaseHTTPMiddleware costs
hundreds of microseconds per request, which matters at a few milliseconds per status call).

Every response carries the server's API and package versions. A client that announces an API
version below ``MIN_COMPATIBLE_API_VERSION`` gets HTTP 400 with an upgrade message instead of
a confusing failure later; the client checks the server the same way from ``/api/health``.
"""

from __future__ import annotations

import json
from typing import Any

from skycore.server import constants as C

_VERSION_HEADERS = [
    (C.HEADER_API_VERSION.lower().encode(), str(C.API_VERSION).encode()),
    (C.HEADER_VERSION.lower().encode(), C.version().encode()),
]
_CLIENT_HEADER = C.HEADER_API_VERSION.lower().encode()


def too_old_message(client_version: int) -> str:
    return (f"Your skycore client speaks API version {client_version}, but this API server "
            f"(skycore {C.version()}) needs at least {C.MIN_COMPATIBLE_API_VERSION}. Upgrade "
            "the client: pip install -U skycore")


class ApiVersionMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", ()):
            if key == _CLIENT_HEADER:
                try:
                    client_version = int(value)
                except ValueError:
                    client_version = 0
                if client_version < C.MIN_COMPATIBLE_API_VERSION:
                    body = json.dumps({"detail": too_old_message(client_version),
                                       "error": "VERSION_MISMATCH"}).encode()
                    await send({"type": "http.response.start", "status": 400,
                                "headers": [(b"content-type", b"application/json"),
                                            *_VERSION_HEADERS]})
                    await send({"type": "http.response.body", "body": body})
                    return
                break

        async def send_with_versions(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_VERSION_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_versions)
