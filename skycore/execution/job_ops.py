"""Job operations on an UP cluster, all answered by skylet on the head node."""

from __future__ import annotations

import sys
from typing import Any, BinaryIO

from skycore.execution.cluster_ops import require_up
from skycore.execution.connect import backend, connect
from skycore.interfaces.backend import ConnectedCluster
from skycore.plugins import get_manager


def queue(cluster_name: str, *, skip_finished: bool = False, all_users: bool = False
          ) -> list[dict[str, Any]]:
    conn = connect(require_up(cluster_name))
    return backend().queue(conn, skip_finished=skip_finished, all_users=all_users)


def tail_logs(cluster_name: str, job_id: int | None, *, follow: bool = True,
              out: BinaryIO | None = None) -> int:
    conn = connect(require_up(cluster_name))
    exit_code = backend().tail_logs(conn, job_id, follow=follow, out=out or sys.stdout.buffer)
    if follow:
        notify_final_status(conn, job_id)
    return exit_code


def notify_final_status(conn: ConnectedCluster, job_id: int | None) -> None:
    """After a log follow ends the job is terminal: tell the plugins that listen for jobs."""
    manager = get_manager()
    if not manager.has_listeners("skycore_on_job_status_changed"):
        return
    statuses = backend().job_statuses(conn, [job_id] if job_id is not None else None)
    for known_id, status in statuses.items():
        if known_id is not None and status is not None:
            manager.notify_job_status_changed(conn.name, known_id, None, status)


def job_status(cluster_name: str, job_ids: list[int] | None) -> dict[Any, str | None]:
    conn = connect(require_up(cluster_name))
    return backend().job_statuses(conn, job_ids)


def cancel(cluster_name: str, job_ids: list[int] | None, *, all_jobs: bool = False
           ) -> list[int]:
    conn = connect(require_up(cluster_name))
    return backend().cancel(conn, job_ids, all_jobs=all_jobs)
