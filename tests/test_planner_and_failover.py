"""The single-task planner and the generic failover loop, against a test-only cloud plugin
whose provisioner injects classified faults (no mocks of skycore code)."""

from __future__ import annotations

import types
from typing import Any

import pytest

from skycore import errors
from skycore.execution.provision import provision_with_failover
from skycore.features import Feature
from skycore.interfaces.catalog import Offering
from skycore.interfaces.cloud import Cloud, Region, Zone
from skycore.interfaces.provision import Provisioner
from skycore.optimizer.plan import Blocked, plan_task
from skycore.plugins import CatalogSpec, CloudSpec, ProvisionerSpec, hookimpl
from skycore.state import clusters
from skycore.task import Task
from skycore.testing.plugins import use_plugins

ROWS = [
    # (instance, vcpus, mem, acc, count, price, spot, region, zone)
    ("c.large", 2, 4, None, 0, 0.10, 0.03, "r1", "r1-a"),
    ("c.large", 2, 4, None, 0, 0.10, 0.04, "r1", "r1-b"),
    ("c.large", 2, 4, None, 0, 0.12, 0.05, "r2", "r2-a"),
    ("c.xlarge", 4, 16, None, 0, 0.20, 0.07, "r1", "r1-a"),
    ("g.t4", 8, 32, "T4", 1, 0.50, 0.20, "r1", "r1-a"),
    ("g.a100", 12, 85, "A100", 1, 3.00, 1.10, "r2", "r2-a"),
]


class FaultCloud(Cloud):
    name = "faulty"
    display_name = "Faulty"
    features = frozenset({Feature.MULTI_NODE, Feature.SPOT_INSTANCE, Feature.STOP})
    has_zones = True

    def regions(self) -> list[Region]:
        return [Region("r1", (Zone("r1-a", "r1"), Zone("r1-b", "r1"))),
                Region("r2", (Zone("r2-a", "r2"),))]


class FaultProvisioner(Provisioner):
    """Fails by placement: capacity in r1-a, quota in r1, auth everywhere else."""

    cloud_name = "faulty"
    attempts: list[tuple[str, str | None]] = []

    def run_instances(self, config: Any, deadline: float) -> Any:
        FaultProvisioner.attempts.append((config.region, config.zone))
        if config.zone == "r1-a":
            raise errors.CapacityError("no capacity", cloud="faulty", zone=config.zone)
        if config.region == "r1":
            raise errors.QuotaError("quota exceeded", cloud="faulty", region=config.region)
        raise errors.AuthError("credentials expired", cloud="faulty")

    def query_instances(self, *args: Any) -> dict:
        return {}

    def get_cluster_info(self, *args: Any) -> Any:
        raise AssertionError("never reached")

    stop_instances = terminate_instances = lambda self, *args: None  # noqa: E731

    def get_command_runners(self, cluster_info: Any) -> list:
        return []

    def node_runtime(self, cluster_info: Any) -> Any:
        raise AssertionError("never reached")


def _offerings() -> list[Offering]:
    return [Offering(cloud="faulty", instance_type=i, vcpus=v, memory_gib=m,
                     accelerator_name=a, accelerator_count=c, price=p, spot_price=s,
                     region=r, zone=z) for i, v, m, a, c, p, s, r, z in ROWS]


def _plugin_module() -> types.ModuleType:
    module = types.ModuleType("faulty_plugin")

    @hookimpl
    def skycore_clouds() -> list:
        return [CloudSpec("faulty", FaultCloud, display_name="Faulty")]

    @hookimpl
    def skycore_catalogs() -> list:
        return [CatalogSpec("faulty", _offerings)]

    @hookimpl
    def skycore_provisioners() -> list:
        return [ProvisionerSpec("faulty", FaultProvisioner)]

    module.skycore_clouds = skycore_clouds
    module.skycore_catalogs = skycore_catalogs
    module.skycore_provisioners = skycore_provisioners
    return module


@pytest.fixture
def faulty() -> Any:
    FaultProvisioner.attempts = []
    with use_plugins(("faulty", _plugin_module())) as manager:
        yield manager


def _task(**resources: Any) -> Task:
    return Task.from_yaml_config({"run": "true", "resources": {"infra": "faulty", **resources}})


def test_cheapest_feasible_offering_is_chosen(faulty: Any) -> None:
    plan = plan_task(_task(cpus="2+"), enabled_clouds=["faulty", "local"])
    assert plan.best.offering.instance_type == "c.large"
    assert plan.best.zone == "r1-a"
    assert {c.zone for c in plan.considered} == {"r1-a", "r1-b", "r2-a"}
    assert "Considered resources (1 node)" in plan.render()


def test_exact_and_at_least_cpus_and_memory(faulty: Any) -> None:
    assert plan_task(_task(cpus="4"), enabled_clouds=["faulty"]).best.offering.instance_type \
        == "c.xlarge"
    assert plan_task(_task(memory="16+"), enabled_clouds=["faulty"]).best.offering \
        .instance_type == "c.xlarge"
    assert plan_task(_task(cpus="2", memory="2x"), enabled_clouds=["faulty"]).best.offering \
        .instance_type == "c.large"
    with pytest.raises(errors.ResourcesUnavailableError, match="memory=4x"):
        plan_task(_task(cpus="2", memory="4x"), enabled_clouds=["faulty"])
    with pytest.raises(errors.ResourcesUnavailableError, match="cpus=3"):
        plan_task(_task(cpus="3"), enabled_clouds=["faulty"])


def test_accelerators_and_spot(faulty: Any) -> None:
    plan = plan_task(_task(accelerators="A100:1", use_spot=True), enabled_clouds=["faulty"])
    assert plan.best.offering.instance_type == "g.a100"
    assert plan.best.hourly_cost == pytest.approx(1.10)
    assert "[Spot]" in plan.render()


def test_ordered_takes_the_first_launchable_and_any_of_the_cheapest(faulty: Any) -> None:
    ordered = Task.from_yaml_config({"resources": {"infra": "faulty",
                                                   "accelerators": ["A100", "T4"]}})
    assert plan_task(ordered, enabled_clouds=["faulty"]).best.offering.accelerator_name == "A100"
    any_of = Task.from_yaml_config({"resources": {"infra": "faulty",
                                                  "accelerators": {"A100": 1, "T4": 1}}})
    assert plan_task(any_of, enabled_clouds=["faulty"]).best.offering.accelerator_name == "T4"


def test_blocked_placements_are_skipped(faulty: Any) -> None:
    plan = plan_task(_task(cpus="2"), enabled_clouds=["faulty"],
                     blocked=[Blocked("faulty", "r1")])
    assert plan.best.region == "r2"


def test_missing_feature_and_unknown_cloud_explain_themselves(faulty: Any) -> None:
    with pytest.raises(errors.ResourcesUnavailableError, match="OPEN_PORTS"):
        plan_task(_task(ports=8080), enabled_clouds=["faulty"])
    with pytest.raises(errors.UnknownCloudError, match="faulty"):
        plan_task(Task.from_yaml_config({"resources": {"infra": "faultyy"}}),
                  enabled_clouds=["faulty"])


def test_failover_order_zone_then_region_then_cloud(faulty: Any) -> None:
    task = _task(cpus="2")
    plan = plan_task(task, enabled_clouds=["faulty"], cluster_name="fo")
    messages: list[str] = []
    with pytest.raises(errors.ResourcesUnavailableError) as info:
        provision_with_failover(task, plan, "fo", None, messages.append,
                                enabled_clouds=["faulty"])
    # r1-a: capacity → zone blocked; r1-b: quota → region r1 blocked; r2-a: auth → cloud blocked
    assert FaultProvisioner.attempts == [("r1", "r1-a"), ("r1", "r1-b"), ("r2", "r2-a")]
    kinds = [type(e).__name__ for e in info.value.history]
    assert kinds == ["CapacityError", "QuotaError", "AuthError"]
    assert "Failed to provision all possible launchable resources" in str(info.value)
    assert len([m for m in messages if m.startswith("Failed on")]) == 3
    assert clusters.get("fo") is None, "a cluster that never came up leaves no record"
