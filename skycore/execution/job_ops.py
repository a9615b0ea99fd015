"""Job operations on an UP cluster, all answered by skylet on the head node."""

from __future__ import annotations

import sys
from typing import Any, BinaryIO

from skycore.execution.cluster_ops import require_up
from skycore.execution.connect import backend, connect


def queue(cluster_name: str, *, skip_finished: bool = False, all_users: bool = False
          ) -> list[dict[str, Any]]:
    conn = connect(require_up(cluster_name))
    return backend().queue(conn, skip_finished=skip_finished, all_users=all_users)


def tail_logs(cluster_name: str, job_id: int | None, *, follow: bool = True,
              out: BinaryIO | None = None) -> int:
    conn = connect(require_up(cluster_name))
    return backend().tail_logs(conn, job_id, follow=follow, out=out or sys.stdout.buffer)


def job_status(cluster_name: str, job_ids: list[int] | None) -> dict[Any, str | None]:
    conn = connect(require_up(cluster_name))
    return backend().job_statuses(conn, job_ids)


def cancel(cluster_name: str, job_ids: list[int] | None, *, all_jobs: bool = False
           ) -> list[int]:
    conn = connect(require_up(cluster_name))
    return backend().cancel(conn, job_ids, all_jobs=all_jobs)
