"""Users and service-account tokens of the API server (``sky api users …``/``tokens …``).

Unlike the operations of :mod:`skycore.client.sdk` these are synchronous: managing a user is a
row in the server's database, not work worth a request id. On a remote server only admins
manage users; anyone may change their own password and manage their own tokens. On the server
host itself (loopback) the caller is trusted as an admin, which is how the first user is made.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from skycore.client import rest

__all__ = ["list_users", "add_user", "delete_user", "set_password", "set_role",
           "create_token", "list_tokens", "revoke_token"]


def _user_path(name: str) -> str:
    return "/users/" + quote(name, safe="")


def list_users() -> list[dict[str, Any]]:
    return list(rest.request_json("GET", "/users"))


def add_user(name: str, password: str | None = None, role: str = "user") -> dict[str, Any]:
    """Create a user; without a password it can log in only with tokens (a service account)."""
    return dict(rest.request_json("POST", "/users", body={"name": name, "password": password,
                                                           "role": role}))


def delete_user(name: str) -> None:
    rest.request_json("DELETE", _user_path(name))


def set_password(name: str, password: str) -> dict[str, Any]:
    return dict(rest.request_json("PATCH", _user_path(name), body={"password": password}))


def set_role(name: str, role: str) -> dict[str, Any]:
    return dict(rest.request_json("PATCH", _user_path(name), body={"role": role}))


def create_token(name: str, *, expires_in_days: float | None = None,
                 user_name: str | None = None) -> dict[str, Any]:
    """A new token; its ``token`` field is the bearer secret, returned only this once."""
    return dict(rest.request_json("POST", "/users/tokens", body={
        "name": name, "expires_in_days": expires_in_days, "user_name": user_name}))


def list_tokens(*, all_users: bool = False) -> list[dict[str, Any]]:
    return list(rest.request_json("GET", "/users/tokens", params={"all_users": all_users}))


def revoke_token(token_id: str) -> dict[str, Any]:
    return dict(rest.request_json("DELETE", "/users/tokens/" + quote(token_id, safe="")))
