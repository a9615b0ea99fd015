"""The Python SDK: every call is a request to the API server and returns its request id.

As in SkyPilot: ``request_id = sdk.launch(task)``, then ``sdk.get(request_id)`` for the result
(errors re-raised as the same ``skycore.errors`` classes) or ``sdk.stream_and_get(request_id)``
to follow its log first. The work runs in the server, so a client that exits or is killed never
stops it. Nothing heavy is imported here: the task model only when a task is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO, Any

from skycore import errors
from skycore.client import rest
from skycore.server import constants as C

__all__ = ["optimize", "launch", "exec", "status", "queue", "tail_logs", "job_status",
           "cancel", "stop", "start", "down", "autostop", "check", "plugins",
           "list_accelerators", "list_accelerator_counts", "get", "stream_and_get",
           "api_status", "api_cancel", "api_info", "api_stop", "api_start", "api_login"]

StageCallback = Callable[[str, str], None]


# ----------------------------------------------------------------------------- requests
def _post(name: str, body: dict[str, Any], entrypoint: str | None = None) -> str:
    body = dict(body)
    body["entrypoint"] = entrypoint
    return str(rest.request_json("POST", f"/{name}", body=body)["request_id"])


def _as_dag(task_or_dag: Any) -> Any:
    from skycore import task as task_lib

    if isinstance(task_or_dag, task_lib.Dag):
        return task_or_dag
    if isinstance(task_or_dag, task_lib.Task):
        return task_lib.Dag(name=task_or_dag.name, tasks=[task_or_dag])
    if isinstance(task_or_dag, str):
        return task_lib.load_dag(task_or_dag)
    raise TypeError(f"expected a Task, Dag or YAML path, got {type(task_or_dag).__name__}")


def _task_body(task_or_dag: Any) -> dict[str, Any]:
    """The task documents, local paths made absolute here (the server's cwd is not ours);
    for a remote server the local files are uploaded first."""
    from skycore.client import endpoint

    dag = _as_dag(task_or_dag)
    for task in dag.tasks:
        task.validate_local_paths()
    body: dict[str, Any] = {"task": dag.to_yaml_documents(redact_secrets=False)}
    if not endpoint.current().is_local:
        from skycore.client import upload

        body["upload_id"] = upload.upload_task_files(dag)
    return body


def optimize(dag: Any, cluster_name: str | None = None, *, entrypoint: str | None = None
             ) -> str:
    """Plan without launching; the result has ``rendered`` (the Considered resources table)."""
    return _post("optimize", {**_task_body(dag), "cluster_name": cluster_name}, entrypoint)


def launch(dag: Any, cluster_name: str | None = None, *, dryrun: bool = False,
           detach_run: bool = False, idle_minutes: float | None = None, down: bool = False,
           retry_until_up: bool = False, no_setup: bool = False,
           entrypoint: str | None = None) -> str:
    """Launch a task on a new or existing cluster (result: job_id, cluster_name, exit_code)."""
    return _post("launch", {**_task_body(dag), "cluster_name": cluster_name, "dryrun": dryrun,
                            "detach_run": detach_run, "idle_minutes": idle_minutes,
                            "down": down, "retry_until_up": retry_until_up,
                            "no_setup": no_setup}, entrypoint)


def exec(dag: Any, cluster_name: str, *, detach_run: bool = False,  # noqa: A001 - SkyPilot
         entrypoint: str | None = None) -> str:
    """Run a task on an UP cluster: sync the workdir and submit, no setup."""
    return _post("exec", {**_task_body(dag), "cluster_name": cluster_name,
                          "detach_run": detach_run}, entrypoint)


def status(cluster_names: list[str] | None = None, *, refresh: bool = False,
           all_users: bool = False, entrypoint: str | None = None) -> str:
    return _post("status", {"cluster_names": cluster_names, "refresh": refresh,
                            "all_users": all_users}, entrypoint)


def queue(cluster_name: str, *, skip_finished: bool = False, all_users: bool = False,
          entrypoint: str | None = None) -> str:
    return _post("queue", {"cluster_name": cluster_name, "skip_finished": skip_finished,
                           "all_users": all_users}, entrypoint)


def tail_logs(cluster_name: str, job_id: int | None, *, follow: bool = True,
              entrypoint: str | None = None) -> str:
    """Follow a job's log: stream the request (the log) and its result is the exit code."""
    return _post("logs", {"cluster_name": cluster_name, "job_id": job_id, "follow": follow},
                 entrypoint)


def job_status(cluster_name: str, job_ids: list[int] | None, *,
               entrypoint: str | None = None) -> str:
    return _post("job_status", {"cluster_name": cluster_name, "job_ids": job_ids}, entrypoint)


def cancel(cluster_name: str, job_ids: list[int] | None, *, all_jobs: bool = False,
           entrypoint: str | None = None) -> str:
    return _post("cancel", {"cluster_name": cluster_name, "job_ids": job_ids,
                            "all_jobs": all_jobs}, entrypoint)


def stop(cluster_name: str, *, entrypoint: str | None = None) -> str:
    return _post("stop", {"cluster_name": cluster_name}, entrypoint)


def start(cluster_name: str, *, idle_minutes: float | None = None, down: bool = False,
          retry_until_up: bool = False, entrypoint: str | None = None) -> str:
    return _post("start", {"cluster_name": cluster_name, "idle_minutes": idle_minutes,
                           "down": down, "retry_until_up": retry_until_up}, entrypoint)


def down(cluster_name: str, *, purge: bool = False, entrypoint: str | None = None) -> str:
    return _post("down", {"cluster_name": cluster_name, "purge": purge}, entrypoint)


def autostop(cluster_name: str, idle_minutes: float, *, down: bool = False,
             entrypoint: str | None = None) -> str:
    return _post("autostop", {"cluster_name": cluster_name, "idle_minutes": idle_minutes,
                              "down": down}, entrypoint)


def check(clouds: list[str] | None = None, *, entrypoint: str | None = None) -> str:
    return _post("check", {"clouds": clouds}, entrypoint)


def plugins(*, entrypoint: str | None = None) -> str:
    return _post("plugins", {}, entrypoint)


def list_accelerators(name_filter: str | None = None, quantity_filter: int | None = None, *,
                      clouds: list[str] | None = None, region_filter: str | None = None,
                      all_regions: bool = False, case_sensitive: bool = False,
                      entrypoint: str | None = None) -> str:
    return _post("list_accelerators", {
        "name_filter": name_filter, "quantity_filter": quantity_filter, "clouds": clouds,
        "region_filter": region_filter, "all_regions": all_regions,
        "case_sensitive": case_sensitive}, entrypoint)


def list_accelerator_counts(clouds: list[str] | None = None, *,
                            entrypoint: str | None = None) -> str:
    return _post("list_accelerator_counts", {"clouds": clouds}, entrypoint)


# ----------------------------------------------------------------------------- results
def _result(record: dict[str, Any]) -> Any:
    status = record["status"]
    if status == C.SUCCEEDED:
        value = record.get("return_value")
        if record["name"] == "job_status" and isinstance(value, dict):
            return {(None if k == "null" else int(k)): v for k, v in value.items()}
        return value
    if status == C.CANCELLED:
        raise errors.RequestCancelledError(
            f"Request {record['request_id']} ({record['name']}) was cancelled.")
    from skycore.utils import error_codec

    error = record.get("error") or {"type": "RequestFailedError", "module": errors.__name__,
                                    "message": record.get("status_msg") or "failed",
                                    "attrs": {}}
    raise error_codec.decode(error)


def get(request_id: str, *, timeout: float | None = None) -> Any:
    """Wait for the request to finish; return its value or raise its error."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = 30.0 if deadline is None else max(0.0, min(30.0, deadline - time.monotonic()))
        status, record = rest.request_json_with_status(
            "GET", "/api/get", params={"request_id": request_id, "timeout": wait},
            timeout=wait + 30)
        if status == 200:
            return _result(record)
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"Request {request_id} is still {record['status']}.")


def stream_and_get(request_id: str, output: IO[bytes] | None = None, *,
                   on_stage: StageCallback | None = None, follow: bool = True,
                   tail: int = -1) -> Any:
    """Print the request's log as it is written (stage events go to ``on_stage``), then return
    :func:`get`'s result. A dropped connection reattaches where it left off."""
    from skycore.client import log_stream

    log_stream.follow(request_id, output, on_stage=on_stage, follow=follow, tail=tail)
    return get(request_id)


# ----------------------------------------------------------------------------- sky api
def api_status(request_ids: list[str] | None = None, *, all_status: bool = False,
               all_users: bool = False, limit: int | None = None,
               cluster_name: str | None = None) -> list[dict[str, Any]]:
    return rest.request_json("GET", "/api/status", params={
        "request_ids": request_ids, "all_status": all_status, "all_users": all_users,
        "limit": limit, "cluster_name": cluster_name})


def api_cancel(request_ids: list[str] | None = None, *, all: bool = False,  # noqa: A002
               all_users: bool = False) -> list[str]:
    return rest.request_json("POST", "/api/cancel", body={
        "request_ids": request_ids, "all": all, "all_users": all_users})


def api_info() -> dict[str, Any]:
    from skycore.client import endpoint

    ep = endpoint.current()
    info = rest.request_json("GET", "/api/health", ep=ep)
    info["endpoint"] = ep.url
    return info


def api_start(*, host: str = "127.0.0.1", port: int | None = None, foreground: bool = False,
              deploy: bool = False) -> str:
    from skycore.client import server_control

    return server_control.start(host=host, port=port, foreground=foreground, deploy=deploy)


def api_stop() -> bool:
    from skycore.client import server_control

    return server_control.stop()


def api_login(endpoint_url: str, *, token: str | None = None) -> dict[str, Any]:
    from skycore.client import server_control

    return server_control.login(endpoint_url, token=token)
