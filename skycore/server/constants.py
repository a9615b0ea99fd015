"""Values client and server must agree on. Imported by the client: keep it dependency-free."""

from __future__ import annotations

#: Bumped whenever a payload or response changes shape. A client and a server talk when each
#: one's version is at least the other's ``MIN_COMPATIBLE_API_VERSION``.
API_VERSION = 1
MIN_COMPATIBLE_API_VERSION = 1

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 46580

HEADER_API_VERSION = "X-Skycore-API-Version"
HEADER_VERSION = "X-Skycore-Version"
HEADER_REQUEST_ID = "X-Skycore-Request-ID"
HEADER_USER = "X-Skycore-User"

#: Request statuses (the ``requests.status`` column).
PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED")
FINAL_STATUSES = frozenset({SUCCEEDED, FAILED, CANCELLED})
ACTIVE_STATUSES = frozenset({PENDING, RUNNING})


def version() -> str:
    """skycore's package version (what ``/api/health`` reports)."""
    try:
        from importlib.metadata import version as dist_version

        return dist_version("skycore")
    except Exception:  # noqa: BLE001 - a source checkout without metadata
        return "0.0.0+unknown"
