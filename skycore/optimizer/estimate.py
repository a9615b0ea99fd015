"""How long a task runs on a candidate, and so what it costs there.

Why a default of one hour: without an estimate every candidate runs equally long, so minimizing
cost means minimizing the hourly price and the table's COST column reads as "$ per hour" — the
figure users compare (SkyPilot does the same). A task may carry an estimator, SkyPilot-style:
``task.time_estimator_func(resources) -> seconds``; ``resources`` is the candidate (it has
``cloud``, ``offering``, ``resources``, ``num_nodes``).
"""

from __future__ import annotations

from typing import Any

DEFAULT_RUNTIME_HOURS = 1.0


def has_estimator(task: Any) -> bool:
    return callable(getattr(task, "time_estimator_func", None))


def runtime_hours(task: Any, candidate: Any) -> float:
    """Estimated hours of ``task`` on ``candidate`` (1 h without an estimator)."""
    estimator = getattr(task, "time_estimator_func", None)
    if not callable(estimator):
        return DEFAULT_RUNTIME_HOURS
    seconds = float(estimator(candidate))
    if seconds < 0:
        raise ValueError(f"time estimator of task {getattr(task, 'name', None)!r} returned "
                         f"{seconds} s")
    return seconds / 3600
