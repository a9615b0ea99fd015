"""Bad input is refused before anything is created, with an error that names the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from skycore import core as sdk
from skycore import errors
from skycore.state import clusters
from skycore.task import Task, load_dag


def _no_cluster(name: str, sky_home: Path) -> None:
    assert clusters.get(name) is None
    local = sky_home / "local"
    assert not local.exists() or not list(local.glob(f"{name}-*"))


def test_unknown_field_names_the_close_match(tmp_path: Path, sky_home: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("resources:\n  cpu: 2\nrun: echo hi\n")
    with pytest.raises(errors.TaskValidationError) as info:
        load_dag(path)
    assert "resources.cpu" in str(info.value) and "cpus" in str(info.value)


def test_unbuilt_capability_is_refused_before_provisioning(sky_home: Path) -> None:
    task = Task.from_yaml_config({"run": "echo hi", "service": {"readiness_probe": "/",
                                                                "replicas": 1}})
    with pytest.raises(errors.NotSupportedError, match="not supported yet"):
        sdk.launch(task, "refused")
    _no_cluster("refused", sky_home)


def test_missing_workdir_is_refused_before_provisioning(tmp_path: Path, sky_home: Path) -> None:
    task = Task.from_yaml_config({"run": "ls", "workdir": str(tmp_path / "nope")})
    with pytest.raises(errors.TaskValidationError, match="workdir"):
        sdk.launch(task, "nowd")
    _no_cluster("nowd", sky_home)


def test_impossible_request_explains_and_creates_nothing(sky_home: Path) -> None:
    task = Task.from_yaml_config({"run": "true", "resources": {"infra": "local",
                                                               "accelerators": "H100:8"}})
    with pytest.raises(errors.ResourcesUnavailableError, match="H100"):
        sdk.launch(task, "toobig")
    _no_cluster("toobig", sky_home)


def test_unknown_cloud_suggests_installed_ones(sky_home: Path) -> None:
    task = Task.from_yaml_config({"run": "true", "resources": {"infra": "locl"}})
    with pytest.raises(errors.UnknownCloudError, match="local"):
        sdk.launch(task, "nocloud")
    _no_cluster("nocloud", sky_home)


def test_invalid_cluster_name(sky_home: Path) -> None:
    with pytest.raises(errors.TaskValidationError, match="cluster"):
        sdk.launch(Task.from_command("true"), "9-bad name")


def test_operations_on_missing_cluster() -> None:
    with pytest.raises(errors.ClusterDoesNotExistError):
        sdk.queue("does-not-exist")
    with pytest.raises(errors.ClusterDoesNotExistError):
        sdk.down("does-not-exist")


def test_dryrun_plans_without_creating(sky_home: Path) -> None:
    result = sdk.launch(Task.from_command("true"), "dry", dryrun=True)
    assert result.job_id is None and result.plan.best.cloud == "local"
    assert "Considered resources" in result.plan.render()
    _no_cluster("dry", sky_home)
