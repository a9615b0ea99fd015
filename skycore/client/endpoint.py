"""Where the API server is: environment, then ``SKY_HOME/config.yaml``, then the local default.

``SKY_API_SERVER_ENDPOINT`` (ours) and ``SKYPILOT_API_SERVER_ENDPOINT`` (SkyPilot's, so existing
setups keep working) override ``api_server.endpoint`` written by ``sky api login``.
``SKYPILOT_API_SERVER_LOCAL_PORT`` moves the local default port.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from urllib.parse import unquote, urlsplit

from skycore import errors

DEFAULT_PORT = 46580


@dataclasses.dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    base_path: str = ""

    @property
    def url(self) -> str:
        """The URL without credentials (safe to print)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.base_path}"

    @property
    def is_local(self) -> bool:
        """A loopback endpoint: the client may start a server there itself."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse(url: str) -> Endpoint:
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise errors.ApiServerError(
            f"Invalid API server endpoint {url!r}: expected http(s)://HOST[:PORT].")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise errors.ApiServerError(f"Invalid port in API server endpoint {url!r}.") from None
    host = parts.hostname
    if host == "localhost":  # no name lookups: loopback is loopback
        host = "127.0.0.1"
    return Endpoint(parts.scheme, host, port,
                    unquote(parts.username) if parts.username else None,
                    unquote(parts.password) if parts.password else None,
                    parts.path.rstrip("/"))


def configured_url() -> str:
    for var in ("SKY_API_SERVER_ENDPOINT", "SKYPILOT_API_SERVER_ENDPOINT"):
        value = os.environ.get(var)
        if value:
            return value
    from skycore import config

    value = config.get_nested(("api_server", "endpoint"))
    if value:
        return str(value)
    port = os.environ.get("SKYPILOT_API_SERVER_LOCAL_PORT") or DEFAULT_PORT
    return f"http://127.0.0.1:{port}"


def current() -> Endpoint:
    return parse(configured_url())
