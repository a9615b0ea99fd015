"""The FastAPI application: one ``POST /<operation>`` per SDK call, plus ``/api/*``.

An operation route only validates the body, stores a PENDING request and queues it; the answer
is the request id. ``/api/get`` long-polls for the outcome, ``/api/stream`` follows its log,
``/api/cancel`` cancels it. No ``from __future__ import annotations`` here: FastAPI reads the
body types of the generated routes at definition time.
"""

import dataclasses
import os
import uuid
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from skycore import errors
from skycore.server import constants as C
from skycore.server import payloads, requests_store, streaming, uploads, users_routes
from skycore.server.auth import AuthMiddleware
from skycore.server.executor import Executor
from skycore.server.identity import User, current_user
from skycore.server.middleware import ApiVersionMiddleware
from skycore.server.ops import OPERATIONS, Operation


@dataclasses.dataclass
class ServerState:
    engine: Any
    executor: Executor
    logs_dir: Path
    server_log: Path
    auth_required: bool
    #: loopback clients skip authentication (off with ``--auth``, e.g. in tests of auth)
    trust_loopback: bool = True


def _state(request: Request) -> ServerState:
    return request.app.state.sky


def _not_found(exc: errors.RequestNotFoundError) -> HTTPException:
    return HTTPException(status_code=404, detail=str(exc))


def _resolve(state: ServerState, request_id: str) -> str:
    try:
        return requests_store.resolve(state.engine, request_id)
    except errors.RequestNotFoundError as exc:
        raise _not_found(exc) from None


def _check_owner(user: User, record: dict[str, Any], action: str) -> None:
    if record["user_id"] != user.user_id and not user.is_admin:
        raise HTTPException(status_code=403, detail=(
            f"Request {record['request_id']} belongs to {record['user_name']}; only its owner "
            f"or an admin may {action} it."))


def _schedule(state: ServerState, op: Operation, body: payloads.RequestBody,
              user: User) -> JSONResponse:
    data = body.model_dump()
    cluster_name = data.get("cluster_name")
    if op.name in ("down", "stop") and cluster_name:
        for record in requests_store.list_requests(
                state.engine, cluster_name=cluster_name, statuses=sorted(C.ACTIVE_STATUSES)):
            if OPERATIONS.get(record["name"]) is not None and OPERATIONS[
                    record["name"]].cluster_work:
                state.executor.cancel(record["request_id"])
    if data.get("upload_id"):
        try:  # an upload id is a capability: only its owner may launch from it
            uploads.check_access(state.engine, data["upload_id"], user.user_id)
        except uploads.UploadError as exc:
            raise HTTPException(status_code=403, detail=str(exc)) from None
    request_id = str(uuid.uuid4())
    log_path = str(state.logs_dir / f"{request_id}.log")
    schedule = op.schedule_for(data)
    requests_store.create(state.engine, request_id=request_id, name=op.name, body=data,
                          schedule_type=schedule, cluster_name=cluster_name,
                          user_id=user.user_id, user_name=user.name,
                          entrypoint=data.get("entrypoint"), log_path=log_path)
    state.executor.submit(request_id, op.name, data, schedule, user.name, log_path)
    return JSONResponse({"request_id": request_id}, headers={C.HEADER_REQUEST_ID: request_id})


def _add_operation(app: FastAPI, op: Operation) -> None:
    body_type = op.body

    async def route(body: body_type, request: Request) -> payloads.RequestId:  # type: ignore[valid-type]
        return _schedule(_state(request), op, body, current_user(request))

    app.add_api_route(f"/{op.name}", route, methods=["POST"], summary=op.summary,
                      response_model=payloads.RequestId, name=op.name,
                      description=f"Schedules a `{op.name}` request on the {op.schedule} "
                                  "queue; returns its id. Get the outcome with /api/get.")


def create_app(state: ServerState, *, lifespan: Any = None) -> FastAPI:
    app = FastAPI(title="skycore API server", version=C.version(), lifespan=lifespan,
                  description="Every SDK call is an asynchronous request: POST the operation, "
                              "then /api/get (outcome) or /api/stream (live log).")
    app.state.sky = state
    app.add_middleware(AuthMiddleware)
    app.add_middleware(ApiVersionMiddleware)
    for op in OPERATIONS.values():
        _add_operation(app, op)

    @app.get("/api/health", response_model=payloads.Health, summary="Liveness and versions.")
    async def health(request: Request) -> dict[str, Any]:
        user = getattr(request.state, "user", None)
        return {"status": "healthy", "api_version": C.API_VERSION,
                "min_compatible_api_version": C.MIN_COMPATIBLE_API_VERSION,
                "version": C.version(), "pid": os.getpid(),
                "auth_required": _state(request).auth_required,
                "user": user.name if user is not None else None}

    @app.get("/api/get", response_model=payloads.RequestRecord,
             summary="Wait for a request's outcome (202 while it is still active).")
    async def get(request: Request, request_id: str,
                  timeout: float = Query(30.0, ge=0, le=300)) -> Any:
        state = _state(request)
        rid = _resolve(state, request_id)
        done = await state.executor.wait(rid, timeout)
        record = requests_store.get(state.engine, rid)
        if record is None:
            raise HTTPException(status_code=404, detail=f"No API request with id {rid!r}.")
        _check_owner(current_user(request), record, "read")
        if not done or record["status"] in C.ACTIVE_STATUSES:
            return JSONResponse(record, status_code=202)
        return record

    @app.get("/api/stream", summary="Follow a request's log (or the server log).",
             response_class=StreamingResponse)
    async def stream(request: Request, request_id: str | None = None, follow: bool = True,
                     tail: int = -1, offset: int | None = Query(None, ge=0),
                     server_logs: bool = False) -> StreamingResponse:
        state = _state(request)
        user = current_user(request)
        if server_logs or request_id is None:
            if not user.is_admin:
                raise HTTPException(status_code=403, detail="Only admins read the server log.")
            body = streaming.follow_file(str(state.server_log), is_active=lambda: True,
                                         follow=follow, tail=tail)
            return StreamingResponse(body, media_type="text/plain")
        rid = _resolve(state, request_id)
        record = requests_store.get(state.engine, rid)
        assert record is not None
        _check_owner(user, record, "read")
        path = requests_store.log_path(state.engine, rid) or str(state.logs_dir / f"{rid}.log")
        body = streaming.follow_file(path, is_active=lambda: state.executor.is_active(rid),
                                     follow=follow, tail=tail, offset=offset)
        return StreamingResponse(body, media_type="text/plain",
                                 headers={C.HEADER_REQUEST_ID: rid})

    @app.post("/api/cancel", summary="Cancel requests (kills their process trees).")
    async def cancel(request: Request, body: payloads.CancelRequestsBody) -> list[str]:
        state = _state(request)
        user = current_user(request)
        if body.all_users and not user.is_admin:
            raise HTTPException(status_code=403, detail="Only admins cancel other users' "
                                                        "requests.")
        if body.all or body.all_users:
            records = requests_store.list_requests(
                state.engine, statuses=sorted(C.ACTIVE_STATUSES),
                user_id=None if body.all_users else user.user_id)
        else:
            records = []
            for rid in body.request_ids or []:
                record = requests_store.get(state.engine, _resolve(state, rid))
                assert record is not None
                _check_owner(user, record, "cancel")
                records.append(record)
        cancelled = []
        for record in records:
            if state.executor.cancel(record["request_id"]):
                cancelled.append(record["request_id"])
        return cancelled

    @app.get("/api/status", response_model=list[payloads.RequestRecord],
             summary="List requests, newest first.")
    async def status(request: Request, request_ids: list[str] | None = Query(None),
                     all_status: bool = False, all_users: bool = False,
                     cluster_name: str | None = None, limit: int | None = None) -> Any:
        state = _state(request)
        user = current_user(request)
        ids = [_resolve(state, r) for r in request_ids] if request_ids else None
        statuses = None if (all_status or ids) else sorted(C.ACTIVE_STATUSES)
        return requests_store.list_requests(
            state.engine, user_id=None if all_users else user.user_id,
            statuses=statuses, cluster_name=cluster_name, request_ids=ids, limit=limit)

    users_routes.register(app)
    uploads.register(app)
    return app
