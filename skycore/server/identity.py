"""Who a request is for. The auth middleware decides; routes only read the result.

A request from loopback is trusted (it comes from this machine, as in SkyPilot): its user is
the OS user the client names in ``X-Skycore-User`` and it may administer the server, which is
how an operator bootstraps users and tokens on a remote server (``sky api users add`` run on
the server host). Any other request carries credentials checked by :mod:`skycore.server.auth`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

ADMIN, USER = "admin", "user"
_SAFE = re.compile(r"[^A-Za-z0-9_.@-]")


@dataclasses.dataclass(frozen=True)
class User:
    user_id: str
    name: str
    role: str = USER

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


def local_user(header_value: str | None) -> User:
    """The trusted loopback caller (its OS user name, sanitized; ``local`` when absent)."""
    name = _SAFE.sub("", header_value or "")[:64] or "local"
    return User(user_id=name, name=name, role=ADMIN)


def current_user(request: Any) -> User:
    user = getattr(request.state, "user", None)
    if user is None:  # only /api/health is reachable without a user
        from fastapi import HTTPException

        raise HTTPException(status_code=401, detail="Authentication required.")
    return user
