"""The ``requests`` table: one row per API call, from PENDING to a final status.

Only the server process writes it (workers report back over a pipe), so there is a single
writer and no row is ever updated by two processes. Every function takes the SQLAlchemy engine
explicitly so tests can point it anywhere (SQLite or PostgreSQL).
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Engine

from skycore import errors
from skycore.server import constants as C
from skycore.state import models

_T = models.requests


def create(engine: Engine, *, request_id: str, name: str, body: dict[str, Any],
           schedule_type: str, cluster_name: str | None, user_id: str, user_name: str,
           entrypoint: str | None, log_path: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(_T).values(
            request_id=request_id, name=name, entrypoint=entrypoint,
            request_body=json.dumps(body), status=C.PENDING, created_at=time.time(),
            cluster_name=cluster_name, schedule_type=schedule_type, user_id=user_id,
            user_name=user_name, log_path=log_path))


def set_running(engine: Engine, request_id: str, pid: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(_T).where(and_(_T.c.request_id == request_id,
                                           _T.c.status == C.PENDING))
                     .values(status=C.RUNNING, pid=pid, started_at=time.time()))


def finish(engine: Engine, request_id: str, status: str, *, return_value: Any = None,
           error: dict[str, Any] | None = None, status_msg: str | None = None,
           started: tuple[int, float] | None = None) -> bool:
    """Move an active request to a final status; False if it already had one (first wins).

    ``started`` = (worker pid, start time) for requests whose RUNNING state was never written
    (short requests finish in milliseconds; one write instead of two doubles their rate).
    """
    assert status in C.FINAL_STATUSES, status
    values: dict[str, Any] = {
        "status": status, "finished_at": time.time(), "status_msg": status_msg,
        "return_value": None if return_value is None else json.dumps(return_value),
        "error": None if error is None else json.dumps(error)}
    if started is not None:
        values["pid"], values["started_at"] = started
    with engine.begin() as conn:
        result = conn.execute(
            update(_T).where(and_(_T.c.request_id == request_id,
                                  _T.c.status.in_(list(C.ACTIVE_STATUSES))))
            .values(**values))
        return bool(result.rowcount)


def _record(row: Any, *, with_result: bool = True) -> dict[str, Any]:
    record = {
        "request_id": row.request_id, "name": row.name, "status": row.status,
        "user_id": row.user_id, "user_name": row.user_name, "cluster_name": row.cluster_name,
        "entrypoint": row.entrypoint, "schedule_type": row.schedule_type,
        "created_at": row.created_at, "started_at": row.started_at,
        "finished_at": row.finished_at, "pid": row.pid, "status_msg": row.status_msg,
        "return_value": None, "error": None,
    }
    if with_result:
        record["return_value"] = json.loads(row.return_value) if row.return_value else None
        record["error"] = json.loads(row.error) if row.error else None
    return record


def get(engine: Engine, request_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(_T).where(_T.c.request_id == request_id)).first()
    return None if row is None else _record(row)


def log_path(engine: Engine, request_id: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(_T.c.log_path).where(_T.c.request_id == request_id)
                            ).scalar_one_or_none()


def resolve(engine: Engine, id_or_prefix: str) -> str:
    """The full id of the request ``id_or_prefix`` names (SkyPilot accepts prefixes)."""
    text = id_or_prefix.strip()
    if len(text) == 36:  # a whole UUID: the caller's lookup says whether it exists
        return text
    if not text:
        raise errors.RequestNotFoundError("An empty request id names nothing.")
    with engine.connect() as conn:
        exact = conn.execute(select(_T.c.request_id).where(_T.c.request_id == text)).first()
        if exact is not None:
            return str(exact.request_id)
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = conn.execute(select(_T.c.request_id).where(
            _T.c.request_id.like(escaped + "%", escape="\\")).limit(2)).all()
    if not rows:
        raise errors.RequestNotFoundError(f"No API request with id {text!r}. "
                                          "List them with: sky api status -a")
    if len(rows) > 1:
        raise errors.RequestNotFoundError(f"The request id prefix {text!r} is ambiguous; "
                                          "give more characters.")
    return str(rows[0].request_id)


def list_requests(engine: Engine, *, user_id: str | None = None,
                  statuses: list[str] | None = None, cluster_name: str | None = None,
                  request_ids: list[str] | None = None, limit: int | None = None
                  ) -> list[dict[str, Any]]:
    """Newest first, without return values (``sky api status``)."""
    query = select(_T)
    if user_id is not None:
        query = query.where(_T.c.user_id == user_id)
    if statuses:
        query = query.where(_T.c.status.in_(statuses))
    if cluster_name is not None:
        query = query.where(_T.c.cluster_name == cluster_name)
    if request_ids:
        query = query.where(_T.c.request_id.in_(request_ids))
    query = query.order_by(_T.c.created_at.desc())
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [_record(row, with_result=False) for row in conn.execute(query)]


def fail_orphans(engine: Engine, reason: str) -> list[str]:
    """Mark every active request FAILED (called at server start: no worker drives them)."""
    with engine.begin() as conn:
        ids = [r.request_id for r in conn.execute(
            select(_T.c.request_id).where(_T.c.status.in_(list(C.ACTIVE_STATUSES))))]
        if ids:
            error = json.dumps({"type": "RequestFailedError", "module": errors.__name__,
                                "message": reason, "attrs": {}, "traceback": None})
            conn.execute(update(_T).where(_T.c.request_id.in_(ids))
                         .values(status=C.FAILED, finished_at=time.time(), error=error,
                                 status_msg=reason))
    return ids
