"""Request bodies of the API, as pydantic models: FastAPI validates them and the OpenAPI schema
(``/openapi.json``) documents every field from them.

A task travels as its YAML documents (a list of mappings, SkyPilot's pipeline form) with local
paths already made absolute by the client, or rewritten to uploaded copies for a remote server.
``entrypoint`` is the CLI command line, kept on the request row for ``sky api status``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class RequestBody(BaseModel):
    entrypoint: str | None = Field(None, description="The CLI command that made the request.")


class TaskRequest(RequestBody):
    task: list[dict[str, Any]] = Field(..., description="Task YAML documents (a pipeline when "
                                                        "there are several).")
    cluster_name: str | None = None
    upload_id: str | None = Field(None, description="Id of a completed upload holding the "
                                                    "workdir and local file mounts (remote "
                                                    "servers).")


class OptimizeBody(TaskRequest):
    pass


class LaunchBody(TaskRequest):
    dryrun: bool = False
    detach_run: bool = False
    idle_minutes: float | None = None
    down: bool = False
    retry_until_up: bool = False
    no_setup: bool = False


class ExecBody(TaskRequest):
    cluster_name: str
    detach_run: bool = False


class StatusBody(RequestBody):
    cluster_names: list[str] | None = None
    refresh: bool = False
    all_users: bool = False


class ClusterBody(RequestBody):
    cluster_name: str


class QueueBody(ClusterBody):
    skip_finished: bool = False
    all_users: bool = False


class LogsBody(ClusterBody):
    job_id: int | None = None
    follow: bool = True


class JobStatusBody(ClusterBody):
    job_ids: list[int] | None = None


class CancelBody(ClusterBody):
    job_ids: list[int] | None = None
    all_jobs: bool = False


class StopBody(ClusterBody):
    pass


class DownBody(ClusterBody):
    purge: bool = False


class StartBody(ClusterBody):
    idle_minutes: float | None = None
    down: bool = False
    retry_until_up: bool = False


class AutostopBody(ClusterBody):
    idle_minutes: float
    down: bool = False


class CheckBody(RequestBody):
    clouds: list[str] | None = None


class PluginsBody(RequestBody):
    pass


class ListAcceleratorsBody(RequestBody):
    name_filter: str | None = None
    quantity_filter: int | None = None
    clouds: list[str] | None = None
    region_filter: str | None = None
    all_regions: bool = False
    case_sensitive: bool = False


class ListAcceleratorCountsBody(RequestBody):
    clouds: list[str] | None = None


class CancelRequestsBody(BaseModel):
    request_ids: list[str] | None = Field(None, description="Ids or unique id prefixes.")
    all: bool = Field(False, description="Cancel every active request (of this user unless "
                                         "all_users).")
    all_users: bool = False


class RequestId(BaseModel):
    request_id: str


class RequestRecord(BaseModel):
    request_id: str
    name: str
    status: str
    user_id: str
    user_name: str
    cluster_name: str | None = None
    entrypoint: str | None = None
    schedule_type: str
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    pid: int | None = None
    status_msg: str | None = None
    return_value: Any = None
    error: dict[str, Any] | None = None


class Health(BaseModel):
    status: str
    api_version: int
    min_compatible_api_version: int
    version: str
    pid: int
    auth_required: bool
    user: str | None = None
