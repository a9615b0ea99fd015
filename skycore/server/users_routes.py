"""``/users`` and ``/users/tokens``: user and service-account token management.

Admins manage users; anyone may change their own password, create tokens for themselves, list
and revoke their own tokens. Admins may also create tokens for another user and see or revoke
every token. The routes are plain ``def``: FastAPI runs them in its thread pool, so the scrypt
hashing of a new password does not stall the event loop. No ``from __future__ import
annotations``: FastAPI reads the body types at definition time.
"""

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from skycore.server import users
from skycore.server.identity import USER, User, current_user


class UserInfo(BaseModel):
    user_id: str
    name: str
    role: str
    created_at: float
    has_password: bool = Field(description="False for service accounts that log in only "
                                           "with tokens.")


class CreateUserBody(BaseModel):
    name: str = Field(description="1-64 letters, digits or '_.@-'.")
    password: str | None = Field(None, description="Basic-auth password; omit for a service "
                                                   "account that uses tokens only.")
    role: str = Field(USER, description="'admin' or 'user'.")


class UpdateUserBody(BaseModel):
    password: str | None = Field(None, description="New password (the user or an admin).")
    role: str | None = Field(None, description="New role, 'admin' or 'user' (admins only).")


class TokenInfo(BaseModel):
    token_id: str
    name: str
    user_id: str
    user_name: str
    created_at: float
    expires_at: float | None = None
    last_used_at: float | None = None
    revoked_at: float | None = None


class CreateTokenBody(BaseModel):
    name: str = Field(description="A label for the token (e.g. 'ci').")
    expires_in_days: float | None = Field(None, gt=0, description="Omit for no expiry.")
    user_name: str | None = Field(None, description="Owner of the token; another user's "
                                                    "name needs admin. Default: the caller.")


class DeletedUser(BaseModel):
    deleted: str


class CreatedToken(TokenInfo):
    token: str = Field(description="The bearer token. Shown once: only its hash is stored.")


def _engine(request: Request) -> Any:
    return request.app.state.sky.engine


def _require_admin(user: User, action: str) -> None:
    if not user.is_admin:
        raise HTTPException(status_code=403, detail=f"Only admins may {action}.")


def _http(exc: users.UserError) -> HTTPException:
    if isinstance(exc, users.UserNotFoundError):
        return HTTPException(status_code=404, detail=str(exc))
    if isinstance(exc, users.UserExistsError):
        return HTTPException(status_code=409, detail=str(exc))
    return HTTPException(status_code=400, detail=str(exc))


def list_users(request: Request) -> list[dict[str, Any]]:
    _require_admin(current_user(request), "list users")
    return users.list_users(_engine(request))


def create_user(request: Request, body: CreateUserBody) -> dict[str, Any]:
    _require_admin(current_user(request), "create users")
    try:
        return users.create_user(_engine(request), body.name, body.password, body.role)
    except users.UserError as exc:
        raise _http(exc) from None


def update_user(request: Request, name: str, body: UpdateUserBody) -> dict[str, Any]:
    caller = current_user(request)
    engine = _engine(request)
    if body.role is not None:
        _require_admin(caller, "change roles")
    if body.password is not None and caller.name != name:
        _require_admin(caller, "change another user's password")
    if body.password is None and body.role is None:
        raise HTTPException(status_code=400, detail="Nothing to change: give a password or a "
                                                    "role.")
    try:
        if body.password is not None:
            users.set_password(engine, name, body.password)
        if body.role is not None:
            users.set_role(engine, name, body.role)
        record = users.get_user(engine, name)
    except users.UserError as exc:
        raise _http(exc) from None
    assert record is not None
    return record


def delete_user(request: Request, name: str) -> dict[str, str]:
    caller = current_user(request)
    _require_admin(caller, "delete users")
    if name == caller.name:
        raise HTTPException(status_code=400, detail="You cannot delete yourself; ask another "
                                                    "admin.")
    try:
        users.delete_user(_engine(request), name)
    except users.UserError as exc:
        raise _http(exc) from None
    return {"deleted": name}


def list_tokens(request: Request, all_users: bool = False) -> list[dict[str, Any]]:
    caller = current_user(request)
    if all_users:
        _require_admin(caller, "list every user's tokens")
    return users.list_tokens(_engine(request), None if all_users else caller.user_id)


def create_token(request: Request, body: CreateTokenBody) -> dict[str, Any]:
    caller = current_user(request)
    engine = _engine(request)
    owner = body.user_name or caller.name
    if owner != caller.name:
        _require_admin(caller, "create tokens for another user")
    try:
        if owner == caller.name and users.get_user(engine, owner) is None:
            # the trusted loopback operator has no row yet: a token needs an owner row
            try:
                users.create_user(engine, owner, None, caller.role)
            except users.UserExistsError:
                pass
        record, token = users.create_token(engine, owner, body.name, body.expires_in_days)
    except users.UserError as exc:
        raise _http(exc) from None
    return {**record, "token": token}


def revoke_token(request: Request, token_id: str) -> dict[str, Any]:
    caller = current_user(request)
    engine = _engine(request)
    record = users.get_token(engine, token_id)
    if record is None or (record["user_id"] != caller.user_id and not caller.is_admin):
        # another user's token is reported as unknown: token ids are not an oracle
        raise HTTPException(status_code=404, detail=f"No token with id {token_id!r} of yours. "
                                                    "List them with: sky api tokens list")
    return users.revoke_token(engine, token_id)


def register(app: FastAPI) -> None:
    """Add the routes; tokens first so ``/users/tokens`` is never read as a user name."""
    tags = ["users"]
    app.add_api_route("/users/tokens", list_tokens, methods=["GET"], tags=tags,
                      response_model=list[TokenInfo],
                      summary="Service-account tokens: yours, or everyone's (admin, all_users).")
    app.add_api_route("/users/tokens", create_token, methods=["POST"], tags=tags,
                      response_model=CreatedToken,
                      summary="Create a token (for another user: admin only).")
    app.add_api_route("/users/tokens/{token_id}", revoke_token, methods=["DELETE"], tags=tags,
                      response_model=TokenInfo,
                      summary="Revoke a token (your own; any token: admin).")
    app.add_api_route("/users", list_users, methods=["GET"], tags=tags,
                      response_model=list[UserInfo], summary="List users (admin).")
    app.add_api_route("/users", create_user, methods=["POST"], tags=tags,
                      response_model=UserInfo, summary="Create a user (admin).")
    app.add_api_route("/users/{name}", update_user, methods=["PATCH"], tags=tags,
                      response_model=UserInfo,
                      summary="Change a password (yours, or any: admin) or a role (admin).")
    app.add_api_route("/users/{name}", delete_user, methods=["DELETE"], tags=tags,
                      response_model=DeletedUser, summary="Delete a user and their tokens (admin).")
