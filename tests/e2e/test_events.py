"""Event hooks reach a plugin during a real launch / exec / down on the local driver."""

from __future__ import annotations

import io
import types

import pytest

from skycore import core as sdk
from skycore.plugins import hookimpl
from skycore.task import Task
from skycore.testing.plugins import use_plugins

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def _listener(events: list[tuple]) -> types.ModuleType:
    module = types.ModuleType("listener_plugin")

    @hookimpl
    def skycore_on_cluster_status_changed(cluster_name, old_status, new_status, cloud):
        events.append(("cluster", cluster_name, old_status, new_status, cloud))

    @hookimpl
    def skycore_on_job_status_changed(cluster_name, job_id, old_status, new_status):
        events.append(("job", cluster_name, job_id, old_status, new_status))

    module.skycore_on_cluster_status_changed = skycore_on_cluster_status_changed
    module.skycore_on_job_status_changed = skycore_on_job_status_changed
    return module


def test_cluster_and_job_events(sky_home) -> None:
    events: list[tuple] = []
    with use_plugins(("listener", _listener(events))):
        name = "ev"
        first = sdk.launch(Task.from_command("echo one"), name, out=io.BytesIO())
        failed = sdk.exec(Task.from_command("exit 4"), name, out=io.BytesIO())
        sdk.down(name)
    cluster_events = [e[2:4] for e in events if e[0] == "cluster"]
    assert cluster_events == [(None, "INIT"), ("INIT", "UP"), ("UP", None)]
    assert all(e[4] == "local" for e in events if e[0] == "cluster")
    job_events = [(e[2], e[4]) for e in events if e[0] == "job"]
    assert job_events == [(first.job_id, "PENDING"), (first.job_id, "SUCCEEDED"),
                          (failed.job_id, "PENDING"), (failed.job_id, "FAILED")]
