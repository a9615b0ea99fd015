"""Users and service-account tokens of a multi-user API server (the ``users`` and
``service_account_tokens`` tables).

Why scrypt: it is in the standard library (no bcrypt wheel on the server) and memory-hard, so a
stolen database is expensive to brute-force. Each user has a random salt; the parameters are
stored with the hash so they can be raised later without invalidating old passwords.

Why tokens are stored as sha256 only: a token is 256 random bits, so a fast hash is enough (no
dictionary to attack) and it lets the server find a token by an indexed equality lookup. The
plaintext is shown once, when it is created.

``user_id`` equals the user name (restricted to ``[A-Za-z0-9_.@-]``, like the loopback identity
of :func:`skycore.server.identity.local_user`), so a user who runs the CLI on the server host and
the same user logging in remotely own the same clusters and requests.

Every write bumps :func:`generation`; :mod:`skycore.server.auth` keys its credential cache on it, so
a changed password, role or a revoked token takes effect on the next request of this process.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import re
import secrets
import threading
import time
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from skycore.server.identity import ADMIN, USER, User
from skycore.state import models

_U = models.users
_T = models.service_account_tokens

ROLES = (ADMIN, USER)
TOKEN_PREFIX = "sky_"
NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
#: scrypt cost: ~16 MiB and a few tens of milliseconds per check (cached by the middleware)
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
#: last_used_at is written at most this often per token (a write per request is waste)
TOUCH_INTERVAL_S = 60.0

_generation = 0
_gen_lock = threading.Lock()


class UserError(ValueError):
    """A bad user or token operation; the message says what to change (HTTP 400)."""


class UserNotFoundError(UserError, LookupError):
    """No such user or token (HTTP 404)."""


class UserExistsError(UserError):
    """The name is taken (HTTP 409)."""


class TokenRejectedError(Exception):
    """A bearer token that is unknown, revoked or expired; the message says which (HTTP 401)."""


@dataclasses.dataclass(frozen=True)
class TokenMatch:
    user: User
    token_id: str
    expires_at: float | None
    last_used_at: float | None


def generation() -> int:
    return _generation


def _bump() -> None:
    global _generation
    with _gen_lock:
        _generation += 1


# ----------------------------------------------------------------------------- passwords
def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R,
                            p=_SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return (f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}$"
            f"{b64(salt).decode()}${b64(digest).decode()}")


def check_password(password: str, stored: str | None) -> bool:
    """Constant-time check of ``password`` against a :func:`hash_password` value."""
    if not stored:
        # burn the same time as a real check: a missing user must not answer faster
        hash_password(password)
        return False
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        salt, digest = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(password.encode(), salt=salt, n=int(n), r=int(r), p=int(p),
                                   dklen=len(digest))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, digest)


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise UserError(f"Invalid user name {name!r}: use 1-64 letters, digits or '_.@-'.")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"Invalid role {role!r}: choose one of {', '.join(ROLES)}.")
    return role


def _user_record(row: Any) -> dict[str, Any]:
    return {"user_id": row.user_id, "name": row.name, "role": row.role,
            "created_at": row.created_at, "has_password": bool(row.password_hash)}


# ----------------------------------------------------------------------------- users
def create_user(engine: Engine, name: str, password: str | None = None,
                role: str = USER) -> dict[str, Any]:
    _check_name(name)
    _check_role(role)
    values = {"user_id": name, "name": name, "role": role, "created_at": time.time(),
              "password_hash": hash_password(password) if password else None}
    try:
        with engine.begin() as conn:
            conn.execute(insert(_U).values(**values))
    except IntegrityError:
        raise UserExistsError(f"User {name!r} already exists.") from None
    _bump()
    return _require_user(engine, name)


def get_user(engine: Engine, name: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(_U).where(_U.c.name == name)).first()
    return None if row is None else _user_record(row)


def list_users(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [_user_record(r) for r in conn.execute(select(_U).order_by(_U.c.name))]


def _require_user(engine: Engine, name: str) -> dict[str, Any]:
    record = get_user(engine, name)
    if record is None:
        raise UserNotFoundError(f"No user named {name!r}. List them with: sky api users list")
    return record


def delete_user(engine: Engine, name: str) -> None:
    """Delete a user and every token of theirs (their requests and clusters stay, by id)."""
    record = _require_user(engine, name)
    with engine.begin() as conn:
        conn.execute(delete(_T).where(_T.c.user_id == record["user_id"]))
        conn.execute(delete(_U).where(_U.c.user_id == record["user_id"]))
    _bump()


def set_password(engine: Engine, name: str, password: str) -> None:
    if not password:
        raise UserError("The password must not be empty.")
    record = _require_user(engine, name)
    with engine.begin() as conn:
        conn.execute(update(_U).where(_U.c.user_id == record["user_id"])
                     .values(password_hash=hash_password(password)))
    _bump()


def set_role(engine: Engine, name: str, role: str) -> None:
    _check_role(role)
    record = _require_user(engine, name)
    with engine.begin() as conn:
        conn.execute(update(_U).where(_U.c.user_id == record["user_id"]).values(role=role))
    _bump()


def verify_password(engine: Engine, name: str, password: str) -> User | None:
    """The user when ``password`` is theirs, else None (same cost either way)."""
    with engine.connect() as conn:
        row = conn.execute(select(_U).where(_U.c.name == name)).first()
    stored = row.password_hash if row is not None else None
    if not check_password(password, stored) or row is None:
        return None
    return User(user_id=row.user_id, name=row.name, role=row.role)


def bootstrap_from_env(engine: Engine, environ: dict[str, str] | None = None) -> str | None:
    """Create the first admin from ``SKY_INITIAL_BASIC_AUTH=user:password`` (SkyPilot reads
    ``SKYPILOT_INITIAL_BASIC_AUTH``, accepted too) when no such user exists yet.

    Why: a server started with ``--auth`` trusts nobody, not even loopback, so its operator
    needs a way in that does not go through the API. Returns the name created, if any.
    """
    import os

    env = os.environ if environ is None else environ
    value = env.get("SKY_INITIAL_BASIC_AUTH") or env.get("SKYPILOT_INITIAL_BASIC_AUTH")
    if not value or ":" not in value:
        return None
    name, password = value.split(":", 1)
    if get_user(engine, name) is not None:
        return None
    try:
        create_user(engine, name, password, ADMIN)
    except UserExistsError:  # another server process won the race
        return None
    return name


# ----------------------------------------------------------------------------- tokens
def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_record(row: Any) -> dict[str, Any]:
    return {"token_id": row.token_id, "name": row.name, "user_id": row.user_id,
            "user_name": row.user_name, "created_at": row.created_at,
            "expires_at": row.expires_at, "last_used_at": row.last_used_at,
            "revoked_at": row.revoked_at}


def _token_query() -> Any:
    return select(_T, _U.c.name.label("user_name"), _U.c.role).join(
        _U, _U.c.user_id == _T.c.user_id)


def create_token(engine: Engine, user_name: str, name: str,
                 expires_in_days: float | None = None) -> tuple[dict[str, Any], str]:
    """A new token for ``user_name``: (its record, the plaintext ``sky_…`` shown only now)."""
    if not name or len(name) > 255:
        raise UserError("A token needs a name of 1-255 characters.")
    if expires_in_days is not None and expires_in_days <= 0:
        raise UserError("--expires-in-days must be positive.")
    user = _require_user(engine, user_name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = time.time()
    token_id = "tok-" + secrets.token_hex(6)
    with engine.begin() as conn:
        conn.execute(insert(_T).values(
            token_id=token_id, name=name, user_id=user["user_id"], token_hash=token_hash(token),
            created_at=now, last_used_at=None, revoked_at=None,
            expires_at=None if expires_in_days is None else now + expires_in_days * 86400))
    _bump()
    return get_token(engine, token_id), token  # type: ignore[return-value]


def get_token(engine: Engine, token_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(_token_query().where(_T.c.token_id == token_id)).first()
    return None if row is None else _token_record(row)


def list_tokens(engine: Engine, user_id: str | None = None) -> list[dict[str, Any]]:
    """Tokens of ``user_id`` (every user's when None), newest first, revoked ones included."""
    query = _token_query()
    if user_id is not None:
        query = query.where(_T.c.user_id == user_id)
    with engine.connect() as conn:
        return [_token_record(r) for r in conn.execute(query.order_by(_T.c.created_at.desc()))]


def revoke_token(engine: Engine, token_id: str) -> dict[str, Any]:
    record = get_token(engine, token_id)
    if record is None:
        raise UserNotFoundError(f"No token with id {token_id!r}. List them with: "
                                "sky api tokens list")
    if record["revoked_at"] is None:
        now = time.time()
        with engine.begin() as conn:
            conn.execute(update(_T).where(_T.c.token_id == token_id).values(revoked_at=now))
        record["revoked_at"] = now
        _bump()
    return record


def verify_token(engine: Engine, token: str) -> TokenMatch:
    """The user a bearer token stands for; raises :class:`TokenRejectedError` otherwise."""
    if not token.startswith(TOKEN_PREFIX):
        raise TokenRejectedError("Not a skycore service-account token (they start with 'sky_').")
    with engine.connect() as conn:
        row = conn.execute(_token_query().where(_T.c.token_hash == token_hash(token))).first()
    if row is None:
        raise TokenRejectedError("Unknown service-account token.")
    if row.revoked_at is not None:
        raise TokenRejectedError(f"Service-account token {row.token_id} was revoked.")
    if row.expires_at is not None and row.expires_at <= time.time():
        raise TokenRejectedError(f"Service-account token {row.token_id} has expired.")
    match = TokenMatch(User(user_id=row.user_id, name=row.user_name, role=row.role),
                       row.token_id, row.expires_at, row.last_used_at)
    if row.last_used_at is None or time.time() - row.last_used_at >= TOUCH_INTERVAL_S:
        touch_token(engine, row.token_id)
    return match


def touch_token(engine: Engine, token_id: str) -> None:
    """Record a use of the token (callers rate-limit this to one write a minute)."""
    with engine.begin() as conn:
        conn.execute(update(_T).where(_T.c.token_id == token_id)
                     .values(last_used_at=time.time()))
