"""Implements an event hook with an argument name the hookspec does not have."""

from __future__ import annotations

from skycore.plugins import hookimpl


@hookimpl
def skycore_on_job_status_changed(cluster_name: str, job: int) -> None:
    pass
