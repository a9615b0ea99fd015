"""The launch pipeline: OPTIMIZE → PROVISION → SYNC_WORKDIR → SYNC_FILE_MOUNTS → SETUP →
PRE_EXEC → EXEC (→ DOWN), and ``exec`` = SYNC_WORKDIR + EXEC on an UP cluster.

OPTIMIZE runs outside the per-cluster lock; inside it the cluster is re-read, so two launches
racing for one name end with one cluster.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from skycore import errors
from skycore.execution import fit, names
from skycore.execution.cluster_ops import enabled_clouds, require_up, revive, set_autostop
from skycore.execution.connect import backend, connect
from skycore.execution.job_ops import notify_final_status
from skycore.execution.locks import cluster_lock
from skycore.execution.provision import provision_with_failover
from skycore.optimizer.plan import DagPlan, Plan, plan_dag, plan_task
from skycore.plugins import get_manager
from skycore.state import clusters


class Stage:
    """Stage names, passed to progress callbacks as plain strings."""

    OPTIMIZE = "OPTIMIZE"
    PROVISION = "PROVISION"
    SYNC_WORKDIR = "SYNC_WORKDIR"
    SYNC_FILE_MOUNTS = "SYNC_FILE_MOUNTS"
    SETUP = "SETUP"
    PRE_EXEC = "PRE_EXEC"
    EXEC = "EXEC"
    DOWN = "DOWN"
    #: not a stage: a line the user should keep (a failover attempt), shown under the current one
    NOTE = "NOTE"


Progress = Callable[[str, str], None]


@dataclass
class LaunchResult:
    job_id: int | None
    cluster_name: str
    exit_code: int = 0
    #: a DagPlan only for a ``dryrun`` of several tasks
    plan: Plan | DagPlan | None = None


def _no_progress(stage: str, message: str) -> None:
    del stage, message


def single_task(dag: Any) -> Any:
    tasks = getattr(dag, "tasks", None)
    if tasks is None:
        return dag
    if len(tasks) != 1:
        raise errors.NotSupportedError(
            f"This YAML is a pipeline of {len(tasks)} tasks; pipelines run as managed jobs "
            "(`sky jobs launch`), which are not supported yet. Launch one task at a time.")
    return tasks[0]


def _apply_policy(task: Any, cluster_name: str | None, operation: str) -> Any:
    return get_manager().apply_task_policy(
        task, {"operation": operation, "cluster_name": cluster_name,
               "user": names.current_user()})


def _prepare(dag: Any, cluster_name: str | None, operation: str) -> Any:
    task = _apply_policy(single_task(dag), cluster_name, operation)
    unbuilt = task.unbuilt_capabilities()
    if unbuilt:
        raise errors.NotSupportedError(
            "This task uses capabilities that are parsed but not supported yet: "
            + ", ".join(unbuilt) + ". Remove them to run the task now.")
    return task


def optimize(dag: Any, cluster_name: str | None = None, *,
             minimize: str = "cost") -> Plan | DagPlan:
    """Plan a launch. For an existing cluster the plan is the cluster itself (no failover).

    A DAG of several tasks (a multi-document YAML is a chain; ``dag.edges``, when present,
    makes a general DAG) is planned as a whole — egress between its tasks included — and
    returns a :class:`DagPlan`; it can be shown (``--dryrun``) but not launched as a cluster.
    """
    tasks = getattr(dag, "tasks", None)
    if tasks is not None and len(tasks) > 1:
        policed = [_apply_policy(t, cluster_name, "launch") for t in tasks]
        return plan_dag(policed, getattr(dag, "edges", None), enabled_clouds=enabled_clouds(),
                        cluster_name=cluster_name, minimize=minimize)
    task = _prepare(dag, cluster_name, "launch")
    if cluster_name is None:
        cluster_name = names.default_cluster_name()
    record = clusters.get(cluster_name)
    if record is not None:
        fit.fitting_resources(task, record)
        return Plan(task=task, cluster_name=cluster_name, best=None, existing_cluster=True)
    return plan_task(task, enabled_clouds=enabled_clouds(), cluster_name=cluster_name,
                     minimize=minimize)


def launch(dag: Any, cluster_name: str | None = None, *, dryrun: bool = False,
           detach_run: bool = False, idle_minutes: float | None = None, down: bool = False,
           retry_until_up: bool = False, no_setup: bool = False,
           progress: Progress | None = None, out: BinaryIO | None = None) -> LaunchResult:
    progress = progress or _no_progress
    if cluster_name is None:
        cluster_name = names.default_cluster_name()
    names.validate_cluster_name(cluster_name)
    progress(Stage.OPTIMIZE, "Optimizing")
    if not dryrun:
        single_task(dag)  # a pipeline is refused before any planning work
    plan = optimize(dag, cluster_name)
    if dryrun:
        return LaunchResult(None, cluster_name, plan=plan)
    assert isinstance(plan, Plan)
    task = plan.task
    task.validate_local_paths()
    autostop_cfg = _autostop_request(task, idle_minutes, down)

    with cluster_lock(cluster_name):
        record = clusters.get(cluster_name)
        conn = None
        if record is not None:
            resources = fit.fitting_resources(task, record)
            conn = revive(record, lambda m: progress(Stage.PROVISION, m))
        if conn is None:
            progress(Stage.PROVISION, "Launching" if record is None else
                     f"Cluster {cluster_name!r} is {record.status.value}: bringing it back up")
            if record is None and plan.best is None:
                # the cluster vanished between OPTIMIZE and the lock: plan it afresh
                plan = plan_task(task, enabled_clouds=enabled_clouds(), cluster_name=cluster_name,
                                 minimize=plan.minimize)
            conn = provision_with_failover(
                task, plan, cluster_name, record, lambda m: progress(Stage.PROVISION, m),
                enabled_clouds=enabled_clouds(), retry_until_up=retry_until_up,
                note=lambda m: progress(Stage.NOTE, m))
            record = clusters.get(cluster_name)
            assert record is not None
            resources = fit.fitting_resources(task, record)
        job_id = _sync_and_submit(task, record, conn, resources, progress,
                                  include_setup=not no_setup)
        if job_id is None:
            detach_run = True
        if autostop_cfg is not None:
            progress(Stage.PRE_EXEC, "Setting autostop")
            set_autostop(record, conn, *autostop_cfg)
    return _follow(conn, cluster_name, job_id, detach_run, out, progress, plan)


def exec_task(dag: Any, cluster_name: str, *, detach_run: bool = False,
              progress: Progress | None = None, out: BinaryIO | None = None) -> LaunchResult:
    progress = progress or _no_progress
    task = _prepare(dag, cluster_name, "exec")
    task.validate_local_paths()
    with cluster_lock(cluster_name):
        record = require_up(cluster_name)
        resources = fit.fitting_resources(task, record)
        conn = connect(record)
        job_id = _sync_and_submit(task, record, conn, resources, progress, include_setup=False,
                                  sync_mounts=False)
    return _follow(conn, cluster_name, job_id, detach_run, out, progress, None)


def _autostop_request(task: Any, idle_minutes: float | None, down: bool
                      ) -> tuple[float, bool] | None:
    """(idle minutes, down) from the CLI, else from ``resources.autostop``; None = leave it.
    ``--down`` alone tears the cluster down as soon as its jobs are done (idle 0)."""
    if idle_minutes is not None:
        return float(idle_minutes), down
    if down:
        return 0.0, True
    config = getattr(task.resources[0], "autostop", None)
    if config is None:
        return None
    if getattr(config, "enabled", True) is False:
        return -1.0, False
    return float(config.idle_minutes), bool(getattr(config, "down", False))


def _sync_and_submit(task: Any, record: Any, conn: Any, resources: Any, progress: Progress, *,
                     include_setup: bool, sync_mounts: bool = True) -> int | None:
    """Sync, then queue the job; ``None`` when there is nothing to run (SkyPilot submits no
    job for a task without ``run``/``setup``)."""
    be = backend()
    if task.workdir:
        progress(Stage.SYNC_WORKDIR, f"Syncing workdir {task.workdir}")
        be.sync_workdir(conn, task.workdir)
    if sync_mounts and task.file_mounts:
        progress(Stage.SYNC_FILE_MOUNTS, "Syncing file mounts")
        be.sync_file_mounts(conn, task.file_mounts)
    if not task.run and not (include_setup and task.setup):
        progress(Stage.EXEC, "Nothing to run: the task has no `run` commands")
        return None
    progress(Stage.SETUP if include_setup and task.setup else Stage.EXEC, "Submitting job")
    cluster_info = {"cluster_name": record.name, "cloud": record.cloud,
                    "region": record.region, "zone": record.zone}
    job_id = be.submit(conn, task, include_setup=include_setup, username=names.current_user(),
                       demand=fit.job_demand(resources, record), cluster_info=cluster_info)
    command = " ".join([os.path.basename(sys.argv[0]) or "sky", *sys.argv[1:]])[:500]
    clusters.update_fields(record.name, last_use=command)
    get_manager().notify_job_status_changed(record.name, job_id, None, "PENDING")
    progress(Stage.EXEC, f"Job {job_id} submitted")
    return job_id


def _follow(conn: Any, cluster_name: str, job_id: int | None, detach_run: bool,
            out: BinaryIO | None, progress: Progress, plan: Plan | None) -> LaunchResult:
    if detach_run or job_id is None:
        return LaunchResult(job_id, cluster_name, 0, plan)
    exit_code = backend().tail_logs(conn, job_id, follow=True, out=out or sys.stdout.buffer)
    notify_final_status(conn, job_id)
    return LaunchResult(job_id, cluster_name, exit_code, plan)
