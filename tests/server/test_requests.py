"""Request lifecycle against a real uvicorn server (SQLite and PostgreSQL): ids, results,
errors re-raised as the same classes, listing, prefixes, versions, the OpenAPI schema."""

from __future__ import annotations

import http.client
import json

import pytest

from skycore import errors
from skycore.client import sdk
from skycore.server import constants as C
from skycore.server.ops import OPERATIONS
from skycore.testing.api_server import ApiServer


def _raw(server: ApiServer, method: str, path: str, body: object = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        payload = None if body is None else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=payload, headers=hdrs)
        response = conn.getresponse()
        return (response.status, {k.lower(): v for k, v in response.getheaders()},
                response.read())
    finally:
        conn.close()


def test_status_request_round_trip(client: ApiServer) -> None:
    request_id = sdk.status()
    assert len(request_id) == 36
    assert sdk.get(request_id) == []
    record = sdk.api_status([request_id])[0]
    assert record["status"] == C.SUCCEEDED
    assert record["name"] == "status"
    assert record["schedule_type"] == "short"
    assert record["finished_at"] >= record["started_at"] >= record["created_at"]
    # a unique prefix names the request too
    assert sdk.get(request_id[:8]) == []


def test_errors_come_back_as_the_same_class(client: ApiServer) -> None:
    with pytest.raises(errors.ClusterDoesNotExistError) as info:
        sdk.get(sdk.queue("no-such-cluster"))
    assert "no-such-cluster" in str(info.value)
    record = sdk.api_status(all_status=True, limit=1)[0]
    assert record["status"] == C.FAILED and record["name"] == "queue"
    assert record["cluster_name"] == "no-such-cluster"


def test_invalid_body_is_rejected_with_the_field(client: ApiServer) -> None:
    status, _, body = _raw(client, "POST", "/autostop", {"cluster_name": "c"})
    assert status == 422
    assert "idle_minutes" in body.decode()


def test_unknown_request_id(client: ApiServer) -> None:
    with pytest.raises(errors.RequestNotFoundError):
        sdk.get("00000000-dead-beef")


def test_responses_carry_versions_and_old_clients_are_told_to_upgrade(
        client: ApiServer) -> None:
    status, headers, _ = _raw(client, "GET", "/api/health")
    assert status == 200
    assert headers[C.HEADER_API_VERSION.lower()] == str(C.API_VERSION)
    status, _, body = _raw(client, "POST", "/status", {},
                           headers={C.HEADER_API_VERSION: "0"})
    assert status == 400
    assert "Upgrade" in json.loads(body)["detail"]
    assert json.loads(body)["error"] == "VERSION_MISMATCH"


def test_openapi_schema_documents_every_operation(client: ApiServer) -> None:
    status, _, body = _raw(client, "GET", "/openapi.json")
    assert status == 200
    schema = json.loads(body)
    for name in OPERATIONS:
        assert f"/{name}" in schema["paths"], name
        assert "requestBody" in schema["paths"][f"/{name}"]["post"]
    for path in ("/api/get", "/api/stream", "/api/cancel", "/api/status", "/api/health"):
        assert path in schema["paths"]
    launch = schema["components"]["schemas"]["LaunchBody"]["properties"]
    assert {"task", "cluster_name", "dryrun", "retry_until_up", "idle_minutes"} <= set(launch)


def test_api_status_filters_active_and_users(client: ApiServer) -> None:
    finished = sdk.status()
    sdk.get(finished)
    assert finished not in [r["request_id"] for r in sdk.api_status()]
    assert finished in [r["request_id"] for r in sdk.api_status(all_status=True)]
    status, _, body = _raw(client, "GET", "/api/status?all_status=true",
                           headers={C.HEADER_USER: "somebody-else"})
    assert status == 200
    assert finished not in [r["request_id"] for r in json.loads(body)]


def test_cancel_of_a_finished_request_cancels_nothing(client: ApiServer) -> None:
    request_id = sdk.status()
    sdk.get(request_id)
    assert sdk.api_cancel([request_id]) == []
    assert sdk.api_status([request_id])[0]["status"] == C.SUCCEEDED


def test_status_with_refresh_runs_on_the_long_queue(client: ApiServer) -> None:
    plain, refreshed = sdk.status(), sdk.status(refresh=True)
    assert sdk.get(plain) == [] and sdk.get(refreshed) == []
    kinds = {r["request_id"]: r["schedule_type"] for r in sdk.api_status(all_status=True)}
    assert (kinds[plain], kinds[refreshed]) == ("short", "long")
