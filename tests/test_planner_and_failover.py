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
    #: zones that fail with TransientError (retried in place before the zone is blocked)
    transient_zones: set[str] = set()
    #: after this many attempts run_instances raises a plain error that ends the test
    stop_after: int | None = None

    def run_instances(self, config: Any, deadline: float) -> Any:
        FaultProvisioner.attempts.append((config.region, config.zone))
        if self.stop_after is not None and len(self.attempts) > self.stop_after:
            raise RuntimeError("stop here")
        if config.zone in self.transient_zones:
            raise errors.TransientError("throttled", cloud="faulty", zone=config.zone)
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
    FaultProvisioner.transient_zones = set()
    FaultProvisioner.stop_after = None
    with use_plugins(("faulty", _plugin_module())) as manager:
        yield manager


def _task(**resources: Any) -> Task:
    return Task.from_yaml_config({"run": "true", "resources": {"infra": "faulty", **resources}})


def test_cheapest_feasible_offering_is_chosen(faulty: Any) -> None:
    plan = plan_task(_task(cpus="2+"), enabled_clouds=["faulty", "local"])
    assert plan.best.offering.instance_type == "c.large"
    assert plan.best.zone == "r1-a"
    # on-demand prices are equal across r1's zones: one candidate per region, which launches
    # in its first zone; spot prices differ by zone: one candidate per zone
    assert {(c.where, c.zone) for c in plan.considered} == {("r1", "r1-a"), ("r2", "r2-a")}
    spot = plan_task(_task(cpus="2+", use_spot=True), enabled_clouds=["faulty"])
    assert {c.where for c in spot.considered} == {"r1-a", "r1-b", "r2-a"}
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
    assert messages[0] == "Attempt 1: c.large on Faulty (r1-a)"
    report = str(info.value)
    assert "1. Faulty (r1-a) c.large: CapacityError: no capacity -> blocked zone r1-a" in report
    assert "2. Faulty (r1-b) c.large: QuotaError: quota exceeded -> blocked region r1" in report
    assert "3. Faulty (r2-a) c.large: AuthError: credentials expired -> blocked cloud faulty" \
        in report
    assert "--retry-until-up" in report
    assert [(e.region, e.zone) for e in info.value.history] == [
        ("r1", "r1-a"), ("r1", "r1-b"), ("r2", "r2-a")], "each error says where it happened"


def test_transient_errors_retry_in_place_then_block_the_zone(
        faulty: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKYCORE_RETRY_BACKOFF_SECONDS", "0.001")
    FaultProvisioner.transient_zones = {"r1-a"}
    task = _task(cpus="2")
    messages: list[str] = []
    with pytest.raises(errors.ResourcesUnavailableError) as info:
        provision_with_failover(task, plan_task(task, enabled_clouds=["faulty"]), "tr", None,
                                messages.append, enabled_clouds=["faulty"])
    assert FaultProvisioner.attempts[:4] == [("r1", "r1-a")] * 3 + [("r1", "r1-b")]
    assert len([m for m in messages if m.startswith("Transient error")]) == 2
    assert "TransientError: throttled -> blocked zone r1-a" in str(info.value)


def test_retry_until_up_waits_and_runs_the_whole_failover_again(
        faulty: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKYCORE_RETRY_BACKOFF_SECONDS", "0.01")
    FaultProvisioner.stop_after = 4  # round 1: 3 attempts; round 2 starts over at r1-a
    task = _task(cpus="2")
    messages: list[str] = []
    with pytest.raises(RuntimeError, match="stop here"):
        provision_with_failover(task, plan_task(task, enabled_clouds=["faulty"]), "ru", None,
                                messages.append, enabled_clouds=["faulty"],
                                retry_until_up=True)
    assert FaultProvisioner.attempts == [("r1", "r1-a"), ("r1", "r1-b"), ("r2", "r2-a"),
                                         ("r1", "r1-a"), ("r1", "r1-b")]
    assert "All 3 placements failed; retrying in 0.01 s (--retry-until-up, round 2)." \
        in messages
    assert clusters.get("ru") is None


def test_retry_backoff_grows_and_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    from skycore.execution.provision import retry_wait_seconds

    monkeypatch.delenv("SKYCORE_RETRY_BACKOFF_SECONDS", raising=False)
    assert [retry_wait_seconds(i) for i in range(6)] == [30, 60, 120, 240, 300, 300]
    monkeypatch.setenv("SKYCORE_RETRY_BACKOFF_SECONDS", "0.5")
    assert retry_wait_seconds(1) == 1.0


def test_failover_on_the_realistic_test_catalogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """zone → region → cloud on the ~55k-row catalogs of sky_testclouds, faults injected by
    its environment variable."""
    provision = pytest.importorskip(
        "sky_testclouds.provision",
        reason="the test-only sky_testclouds plugin is not installed in this environment")
    from skycore.catalog import query
    from skycore.plugins import get_manager

    monkeypatch.setenv("SKYCORE_TESTCLOUDS", "1")
    if "aws" not in get_manager().cloud_specs():
        pytest.skip("sky_testclouds is importable but not registered through its entry point")
    query.clear_cache()
    clouds = ["aws", "gcp"]
    task = Task.from_yaml_config({"run": "true", "resources": {"cpus": "4+", "memory": "16+"}})
    first = plan_task(task, enabled_clouds=clouds, cluster_name="tc")
    cloud, zone, region = first.best.cloud, first.best.zone, first.best.region
    other = next(c for c in clouds if c != cloud)
    assert zone is not None, "both clouds have zones in the test catalogs"
    monkeypatch.setenv("SKYCORE_TESTCLOUDS_FAULTS", f"{cloud}:{zone}=capacity,"
                       f"{cloud}:{region}=quota,{cloud}=auth,{other}=capacity")
    provision.ATTEMPTS.clear()
    messages: list[str] = []
    with pytest.raises(errors.ResourcesUnavailableError) as info:
        provision_with_failover(task, first, "tc", None, messages.append, enabled_clouds=clouds)
    tried = [(a["cloud"], a["region"], a["zone"]) for a in provision.ATTEMPTS]
    kinds = [type(e).__name__ for e in info.value.history]
    assert len(kinds) == len(tried) and tried[0] == (cloud, region, zone)
    assert kinds[0] == "CapacityError"
    # the failed zone is never retried; the region is left once its quota failed; the cloud
    # once its credentials failed; then the other cloud is tried zone after zone
    assert tried.count((cloud, region, zone)) == 1
    if "QuotaError" in kinds:
        after = tried[kinds.index("QuotaError") + 1:]
        assert all(r != region for c, r, _ in after if c == cloud)
    auth = kinds.index("AuthError")
    assert tried[auth][0] == cloud and {c for c, _, _ in tried[auth + 1:]} == {other}
    assert kinds[auth + 1:] == ["CapacityError"] * (len(tried) - auth - 1)
    assert len({z for _, _, z in tried[auth + 1:]}) == len(tried) - auth - 1 > 1
    assert len([m for m in messages if m.startswith("Attempt ")]) == len(tried)
    report = str(info.value)
    assert f"blocked zone {zone}" in report and f"blocked cloud {cloud}" in report
    query.clear_cache()
