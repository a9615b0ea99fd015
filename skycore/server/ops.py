"""Every API operation: its body model, its queue, and how a worker runs it.

One table drives both sides: the app makes a ``POST /<name>`` route per entry and the worker
calls :func:`run`. Adding an operation is one function here and one line in ``OPERATIONS``.
Handlers decode JSON into the objects :mod:`skycore.core` takes (a ``Dag``, the request log as
``out``, stage events as ``progress``) and encode the result back to JSON.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import Any

from skycore.server import payloads
from skycore.utils import stream_marks

LONG, SHORT = "long", "short"


@dataclasses.dataclass(frozen=True)
class Operation:
    name: str
    body: type[payloads.RequestBody]
    schedule: str
    handler: Callable[[dict[str, Any]], Any]
    summary: str
    #: cancelled by ``sky down``/``sky stop`` of the cluster named in the body
    cluster_work: bool = False
    #: a body flag that makes the request long (``status`` with ``refresh`` asks every provider)
    long_if: str | None = None

    def schedule_for(self, body: dict[str, Any]) -> str:
        return LONG if self.long_if and body.get(self.long_if) else self.schedule


def _out() -> Any:
    return sys.stdout.buffer


def _progress(stage: str, message: str) -> None:
    sys.stdout.flush()
    _out().write(stream_marks.encode_stage(str(getattr(stage, "value", stage)), message))
    _out().flush()


def _dag(body: dict[str, Any]) -> Any:
    from skycore import task as task_lib

    docs = list(body["task"])
    name = None
    if len(docs) > 1 and isinstance(docs[0], dict) and set(docs[0]) == {"name"}:
        name = docs.pop(0)["name"]
    tasks = [task_lib.Task.from_yaml_config(doc) for doc in docs]
    if body.get("upload_id"):
        from skycore.server import uploads

        for task in tasks:
            uploads.rewrite_task_paths(task, body["upload_id"])
    return task_lib.Dag(name=name or (tasks[0].name if len(tasks) == 1 else None), tasks=tasks)


def _launch_result(result: Any) -> dict[str, Any]:
    return {"job_id": result.job_id, "cluster_name": result.cluster_name,
            "exit_code": result.exit_code}


def _optimize(body: dict[str, Any]) -> dict[str, Any]:
    from skycore import core

    plan = core.optimize(_dag(body), cluster_name=body.get("cluster_name"))
    existing = bool(getattr(plan, "existing_cluster", False))
    return {"cluster_name": getattr(plan, "cluster_name", None) or body.get("cluster_name"),
            "existing_cluster": existing, "rendered": "" if existing else plan.render()}


def _launch(body: dict[str, Any]) -> dict[str, Any]:
    from skycore import core

    result = core.launch(_dag(body), body.get("cluster_name"), dryrun=body["dryrun"],
                         detach_run=body["detach_run"], idle_minutes=body["idle_minutes"],
                         down=body["down"], retry_until_up=body["retry_until_up"],
                         no_setup=body["no_setup"], progress=_progress, out=_out())
    return _launch_result(result)


def _exec(body: dict[str, Any]) -> dict[str, Any]:
    from skycore import core

    result = core.exec(_dag(body), body["cluster_name"], detach_run=body["detach_run"],
                       progress=_progress, out=_out())
    return _launch_result(result)


def _status(body: dict[str, Any]) -> list[dict[str, Any]]:
    from skycore import core

    return core.status(body.get("cluster_names"), refresh=body["refresh"],
                       all_users=body["all_users"])


def _queue(body: dict[str, Any]) -> list[dict[str, Any]]:
    from skycore import core

    return core.queue(body["cluster_name"], skip_finished=body["skip_finished"],
                      all_users=body["all_users"])


def _logs(body: dict[str, Any]) -> int:
    from skycore import core

    return core.tail_logs(body["cluster_name"], body.get("job_id"), follow=body["follow"],
                          out=_out())


def _job_status(body: dict[str, Any]) -> dict[str, str | None]:
    from skycore import core

    statuses = core.job_status(body["cluster_name"], body.get("job_ids"))
    # JSON object keys are strings; the client turns them back into ints
    return {("null" if k is None else str(k)): v for k, v in statuses.items()}


def _cancel(body: dict[str, Any]) -> list[int]:
    from skycore import core

    return core.cancel(body["cluster_name"], body.get("job_ids"), all_jobs=body["all_jobs"])


def _stop(body: dict[str, Any]) -> None:
    from skycore import core

    core.stop(body["cluster_name"])


def _start(body: dict[str, Any]) -> None:
    from skycore import core

    core.start(body["cluster_name"], idle_minutes=body.get("idle_minutes"), down=body["down"],
               retry_until_up=body["retry_until_up"], progress=_progress)


def _down(body: dict[str, Any]) -> None:
    from skycore import core

    core.down(body["cluster_name"], purge=body["purge"])


def _autostop(body: dict[str, Any]) -> None:
    from skycore import core

    core.autostop(body["cluster_name"], body["idle_minutes"], down=body["down"])


def _check(body: dict[str, Any]) -> dict[str, list[Any]]:
    from skycore import core

    return {name: list(value) for name, value in core.check(body.get("clouds")).items()}


def _plugins(body: dict[str, Any]) -> list[dict[str, Any]]:
    from skycore import core

    del body
    result = []
    for info in core.plugins():
        row = dataclasses.asdict(info) if dataclasses.is_dataclass(info) else dict(vars(info))
        result.append({k: (list(v) if isinstance(v, (tuple, set, frozenset)) else v)
                       for k, v in row.items()})
    return result


def _list_accelerators(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    from skycore import core

    return core.list_accelerators(body.get("name_filter"), body.get("quantity_filter"),
                                  clouds=body.get("clouds"),
                                  region_filter=body.get("region_filter"),
                                  all_regions=body["all_regions"],
                                  case_sensitive=body["case_sensitive"])


def _list_accelerator_counts(body: dict[str, Any]) -> dict[str, list[float]]:
    from skycore import core

    return core.list_accelerator_counts(clouds=body.get("clouds"))


_ops = [
    Operation("optimize", payloads.OptimizeBody, SHORT, _optimize,
              "Plan a launch: the Considered resources table."),
    Operation("launch", payloads.LaunchBody, LONG, _launch,
              "Launch a task on a new or existing cluster.", cluster_work=True),
    Operation("exec", payloads.ExecBody, LONG, _exec,
              "Run a task on an UP cluster.", cluster_work=True),
    Operation("status", payloads.StatusBody, SHORT, _status, "Cluster records.",
              long_if="refresh"),
    Operation("queue", payloads.QueueBody, SHORT, _queue, "The job queue of a cluster."),
    Operation("logs", payloads.LogsBody, LONG, _logs, "Stream a job's logs."),
    Operation("job_status", payloads.JobStatusBody, SHORT, _job_status, "Job statuses."),
    Operation("cancel", payloads.CancelBody, SHORT, _cancel, "Cancel jobs on a cluster."),
    Operation("stop", payloads.StopBody, LONG, _stop, "Stop a cluster."),
    Operation("start", payloads.StartBody, LONG, _start, "Restart a stopped cluster.",
              cluster_work=True),
    Operation("down", payloads.DownBody, LONG, _down, "Tear down a cluster."),
    Operation("autostop", payloads.AutostopBody, SHORT, _autostop,
              "Schedule autostop/autodown."),
    Operation("check", payloads.CheckBody, SHORT, _check, "Which clouds are enabled."),
    Operation("plugins", payloads.PluginsBody, SHORT, _plugins, "Installed plugins."),
    Operation("list_accelerators", payloads.ListAcceleratorsBody, SHORT, _list_accelerators,
              "Accelerator offers (sky gpus list NAME)."),
    Operation("list_accelerator_counts", payloads.ListAcceleratorCountsBody, SHORT,
              _list_accelerator_counts, "Accelerator counts (sky gpus list)."),
]
OPERATIONS: dict[str, Operation] = {op.name: op for op in _ops}


def run(name: str, body: dict[str, Any]) -> Any:
    """Execute operation ``name`` in this (worker) process; returns its JSON-able result."""
    body = {k: v for k, v in body.items() if k != "entrypoint"}
    return OPERATIONS[name].handler(body)
